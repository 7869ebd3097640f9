"""CooperativeModel: the Mesa model composing every mechanism; one step = one month.

Process order within a month (see docs/ODD.md, "Process overview and scheduling"):

0. interventions — this month's conditions reset to neutral, then every active
   intervention applies (state changes, conditions such as harvest or price factors);
0b. partnerships — kemitraan pairs decide whether to keep in contact; association meetings;
   market-access ties without contact lapse;
   supervisors audit: running board misconduct takes cash or is detected;
1. livelihoods — weather, harvests, UMKM production and sales, income, consumption;
2. savings — mandatory and voluntary deposits;
3. credit — repayments and arrears of running loans, then loan needs, applications to the
   cooperative, board approval, liquidity, the moneylender; the cooperative's operating cost;
3b. business units — units open; members take part in them (only with ``cooperative.units``);
4. contacts — ties used this month; exchanges (reciprocity), reputation, peer trust,
   peer teaching, information diffusion;
5. governance — free-riding and sanction;
6. service experience, then trust in the board and the institution, then non-members' trust
   from what they hear and see (perceived-benefit
   items are updated where each is experienced: income in 1, loans in 3, relations in 4,
   service in 6, training in 9);
7. participation in the three domains;
8. membership — joining by informed households, exits;
9. skill fading (training itself is an intervention, applied in 0);
10. network dynamics — strengthening, decay, dissolution, formation;
11. the RAT in its month — attendance, SHU, willingness to serve, board elections;
12. metrics.

All random draws come from the seeded numpy Generator of the world they are for (a single
run's is ``self.rng``, ``mesa.Model``'s), in a fixed order (:mod:`kopsim.streams`), so the same
parameters and seed give identical results, alone or in a batch of worlds.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from functools import partial
from types import SimpleNamespace
from typing import Any, cast

import mesa
import numpy as np
import pandas as pd

from . import (
    accounts,
    agencies,
    enterprise,
    finance,
    governance,
    hearsay,
    membership,
    metrics,
    partnership,
    population,
    skills,
    supervision,
    trust,
    units,
)
from . import contacts as contacts_phase
from . import network as net
from .agents import AGENT_CLASS
from .interventions import Intervention, Training
from .parameters import Parameters, worlds_varying
from .participation import participation_phase
from .state import BOARD, Conditions, State
from .streams import Streams, replication_seeds
from .world import World


class CooperativeModel(mesa.Model):
    """Social capital in cooperatives (koperasi) and small enterprises (UMKM).

    Parameters
    ----------
    params:
        A :class:`~kopsim.parameters.Parameters`, a nested mapping of overrides
        ``{group: {name: value}}``, or None for the defaults; or one of these per world of a batch
        (worlds may differ in real-valued parameters only: :func:`kopsim.parameters.worlds_varying`).
    seed:
        Seed of the model's numpy Generator (``self.rng``); same seed, same run. A sequence gives
        one seed per world of a batch; one seed with ``replicates`` = R > 1 gives the worlds the
        seeds of the runner's replications 0 … R−1 (:func:`world_seeds`).
    interventions:
        Programmes and shocks (:mod:`kopsim.interventions`) applied on their timetables; or one
        sequence per world of a batch, each world's own timetable (:func:`timetables`).
    replicates:
        Worlds simulated together as one array program (a batch; :func:`kopsim.population.build_worlds`):
        world r holds cooperatives r·C … r·C + C − 1 (C = ``population.n_cooperatives``), and is
        bit-identical to its run alone (its own random stream, parameters and timetable; tested).
        A batch keeps one metrics table per world (see below). Kemitraan programmes, which bring
        partner firms of their own, need a run of their own.

    collect_metrics:
        False: keep no metrics table (``datacollector`` is None), for a caller that reads the state,
        or :func:`kopsim.metrics.collect`, only in the months it needs (a calibration's runs).

    The month is vectorised over all agents (:meth:`step` composes the phases); Mesa agents
    (``model.agents``, ``model.agents_by_type``) are views of the state arrays, made the first time
    they are asked for. ``model.datacollector`` (a :class:`mesa.DataCollector`) holds one row of
    outcomes per month from month 0, so ``mesa.batch_run`` and Mesa's plot components work;
    :meth:`metrics_frame` is the same table from month 1 with a ``step`` column.

    A batch of W > 1 worlds keeps one such table per world (``datacollector`` is None: Mesa's holds
    one row a month): ``metrics_frame(world=w)`` is world w's table, the table ``metrics_frame()``
    of world w run alone with seed ``seeds[w]`` gives, bit for bit (each world's outcomes are
    computed from its own agents and ties, in its own numbering: :func:`kopsim.metrics.collect`);
    ``metrics_frame()`` is all worlds' tables, world by world, with a ``world`` column first. The
    outcomes of the month that metrics read — ``last_reciprocity``, ``last_free_rider_share`` and
    ``last_shu`` — are arrays with one value per world (length 1 for a single world), and
    ``metric_seeds[w]`` is world w's seed for sampled network metrics (``metric_seed``: world 0's).
    """

    def __init__(
        self,
        params: Parameters | Mapping[str, Any] | Sequence[Parameters | Mapping[str, Any]] | None = None,
        seed: int | Sequence[int] | None = None,
        interventions: Sequence[Intervention] | Sequence[Sequence[Intervention]] = (),
        replicates: int | None = None,
        collect_metrics: bool = True,
    ) -> None:
        per_world = (
            [_as_parameters(p) for p in cast(Sequence[Any], params)]
            if _is_sequence(params)
            else [_as_parameters(cast(Parameters | Mapping[str, Any] | None, params))]
        )
        if len(per_world) > 1:
            if replicates is not None and replicates != len(per_world):
                raise ValueError(
                    f"params: {len(per_world)} parameter sets for {replicates} replicates; allowed: one per replicate"
                )
            replicates = len(per_world)
        seeds = world_seeds(seed, replicates)
        replicates = len(seeds)
        if len(per_world) == 1:
            per_world *= replicates
        elif len(per_world) != replicates:
            raise ValueError(f"seed: {replicates} seeds for {len(per_world)} parameter sets; allowed: one per world")
        interventions, targets = timetables(interventions, replicates)
        if replicates > 1 and not all(iv.batch_safe for iv in interventions):
            kinds = sorted({iv.kind for iv in interventions if not iv.batch_safe})
            raise ValueError(
                f"a batch of worlds takes no {', '.join(kinds)} interventions (they bring agents of their own); "
                "run the replicates one by one"
            )
        varying = worlds_varying(per_world) if replicates > 1 else {}
        params = per_world[0]
        super().__init__(rng=seeds[0])
        self.seed = seed if replicates == 1 else seeds[0]
        self.seeds = seeds
        self.interventions = interventions
        self._targets = targets  # per intervention: the worlds whose timetable holds it (None: all)
        self.replicates = replicates
        # one generator per world; a single world's is Mesa's own ``self.rng``
        streams = Streams([self.rng] if replicates == 1 else [np.random.default_rng(s) for s in seeds])
        firms = [iv.partner_firms() for iv in self.interventions]
        state, ties = population.build_worlds(per_world, streams.generators, tuple(f for f in firms if f[0]))
        for iv in self.interventions:
            iv.validate_for(state)
        trained = [iv.skill for iv in self.interventions if isinstance(iv, Training)]
        skills.init_programme_skills(state, skills.named_skills(params, trained))
        dist = np.hypot(state.x[ties.a] - state.x[ties.b], state.y[ties.a] - state.y[ties.b])
        institutional = state.institutional
        scale = np.array([p.network.proximity_scale_km for p in per_world])[state.world_id[ties.a]]
        ties.reach = np.where(institutional[ties.a] | institutional[ties.b], 1.0, net.reach(dist, scale))
        self.world = World(
            state,
            net.TieSet(ties, state.n, state.world_id if replicates > 1 else None, state.n_households // replicates),
            streams,
            params,
            params,
            Conditions.neutral(state),
            base_varying=varying,
            varying=varying,
        )
        self.world.refresh_board_tie()
        # each programme's memory for this run; partner firms come last in the state, programme by programme
        start = state.n - sum(count for count, _ in firms)
        self._memos = []
        for iv, (count, _) in zip(self.interventions, firms, strict=True):
            self._memos.append(iv.init(self.world, np.arange(start, start + count)))
            start += count
        # one seed for sampled network metrics, drawn once so metric timing cannot shift the run
        self.metric_seeds = [int(g.integers(2**31 - 1)) for g in streams.generators]
        self.metric_seed = self.metric_seeds[0]
        # outcomes of the month that metrics read, one per world
        self.last_reciprocity = np.full(replicates, np.nan)
        self.last_free_rider_share = np.zeros(replicates)
        self.last_shu = np.zeros(replicates)
        governance.update_willingness(state, self.world.per("governance", state.world_id).honorarium_cost)
        self._views = False
        self._row: dict[str, Any] = {}
        self.datacollector: mesa.DataCollector | None = None
        # a batch's metrics: each world's columns as Mesa's DataCollector keeps them (name -> values)
        self._world_vars: list[dict[str, list[Any]]] | None = None
        if collect_metrics and replicates == 1:
            self._row = metrics.collect(self)
            self.datacollector = MetricsCollector(
                model_reporters={name: partial(_current, name) for name in self._row if name != "step"}
            )
            self.datacollector.collect(self)
        elif collect_metrics:
            self._world_vars = [{} for _ in range(replicates)]
            self._collect_worlds()

    # ---- the world and its views --------------------------------------------------------
    @property
    def state(self) -> State:
        """The agents' state arrays (:class:`~kopsim.state.State`)."""
        return self.world.state

    @property
    def ties(self) -> net.Ties:
        """The tie arrays (:class:`~kopsim.network.Ties`)."""
        return self.world.network.ties

    @property
    def p(self) -> Parameters:
        """This month's parameters (the scenario's, with any policy in force)."""
        return self.world.params

    @property
    def base_params(self) -> Parameters:
        """The scenario's parameters."""
        return self.world.base_params

    @property
    def conditions(self) -> Conditions:
        """This month's exogenous conditions."""
        return self.world.conditions

    @property
    def agents(self) -> mesa.agent.AgentSet:
        """Every actor as a Mesa agent (a view of the state arrays), made on first use."""
        self._make_views()
        return super().agents

    @property
    def agents_by_type(self) -> dict[type[mesa.Agent], mesa.agent.AgentSet]:
        self._make_views()
        return super().agents_by_type

    def _make_views(self) -> None:
        # Views cost memory and time that the vectorised month never needs, so they are made only
        # when someone reads them (a batch of replicates has none: it is an array program only).
        if self._views or self.replicates > 1:
            return
        self._views = True
        s = self.state
        for i in range(s.n):
            AGENT_CLASS[int(s.role[i])](self, i)
        self._by_idx = sorted(super().agents, key=lambda a: a.idx)

    def agent(self, idx: int) -> mesa.Agent:
        """The Mesa agent at state index ``idx``."""
        self._make_views()
        return self._by_idx[idx]

    def members(self) -> mesa.agent.AgentSet:
        """Current members (anggota) as an AgentSet."""
        member = self.state.member
        return self.agents.select(lambda a: bool(member[a.idx]))

    def board(self) -> mesa.agent.AgentSet:
        """Current board members (pengurus) as an AgentSet."""
        office, member = self.state.office, self.state.member
        return self.agents.select(lambda a: bool(member[a.idx]) and office[a.idx] == BOARD)

    def world_views(self) -> Iterator[WorldView]:
        """Each world, in order, as the instruments (surveys, PTP) read a run model (:class:`WorldView`)."""
        for w, (state, ties) in enumerate(population.world_views(self.state, self.ties)):
            yield WorldView(state, ties, self.world.params_of(w), self.steps)

    def metrics_frame(self, world: int | None = None) -> pd.DataFrame:
        """Tidy table of outcomes: one row per month from month 1, one named column per outcome.

        A batch of worlds: ``world=w`` gives world w's table (the table of world w run alone);
        without ``world``, every world's table, world by world, with a ``world`` column first.
        A single world's table has no ``world`` column (``world`` may be 0 or None).
        """
        if world is not None and not 0 <= world < self.replicates:
            raise ValueError(f"world: {world}; allowed: 0 … {self.replicates - 1}")
        if self.datacollector is not None:
            return _tidy(self.datacollector.get_model_vars_dataframe())
        if self._world_vars is None:
            raise ValueError("this model keeps no metrics table (collect_metrics=False)")
        if world is not None:
            return _tidy(pd.DataFrame(self._world_vars[world]))
        frames = [_tidy(pd.DataFrame(v)) for v in self._world_vars]
        for w, frame in enumerate(frames):
            frame.insert(0, "world", w)
        return pd.concat(frames, ignore_index=True)

    def _collect_worlds(self) -> None:
        """This month's row of every world of a batch (:func:`kopsim.metrics.collect_worlds`)."""
        if self._world_vars is None:
            return
        for columns, row in zip(self._world_vars, metrics.collect_worlds(self), strict=True):
            for name, value in row.items():
                if name != "step":
                    columns.setdefault(name, []).append(value)

    def run_steps(self, steps: int) -> None:
        """Run ``steps`` months (a batch of replicates too; :meth:`run` also returns the metrics)."""
        for _ in range(steps):
            self.step()

    def run(self, steps: int) -> pd.DataFrame:
        """Run ``steps`` months and return :meth:`metrics_frame`."""
        self.run_steps(steps)
        return self.metrics_frame()

    # ---- the month ---------------------------------------------------------------------
    def step(self) -> None:
        """One month: the phases in the order of the module docstring."""
        world = self.world
        world.begin_month(self.steps)  # already incremented by mesa.Model
        self.last_shu = np.zeros(self.replicates)  # SHU is paid only in the RAT month
        agencies.new_year(world)  # the agencies' programme budgets start afresh each January
        accounts.new_year(world)  # and so does the cooperative's income statement
        for iv, memo, targets in zip(self.interventions, self._memos, self._targets, strict=True):
            if iv.active(world.t):
                world.targets = targets
                iv.apply(world, memo)
                world.targets = None
                world.refresh_board_tie()  # the next programme, and credit, read it
        supervision.audit(world)  # board misconduct runs or is detected by the supervisors
        partnership.partnerships(world)
        enterprise.livelihoods(world)
        saved = finance.savings(world)
        experience = finance.credit(world, saved)
        units.business_units(world)  # issue #16: taking part in the cooperative's business units
        met = contacts_phase.contacts(world)
        agencies.serve(world, met.used)  # used interest ties deliver advice, credit information, licences
        self.last_reciprocity = met.reciprocity
        riding = governance.free_riding(world)
        self.last_free_rider_share = riding.share
        trust.board_and_institution(
            world,
            experience.board_positive,
            experience.board_negative,
            experience.used_service,
            np.maximum(riding.harm, experience.default_harm),  # unpunished free-riding and defaults seen
        )
        # non-members hear from members and see defaults, a scandal, last RAT's SHU (the month after it)
        after_rat = world.t % 12 == (world.params.governance.rat_month + 1) % 12
        hearsay.nonmember_trust(world, met.used, experience.default_share, after_rat)
        benefit = participation_phase(world)
        membership.membership(world, benefit)
        skills.training(world)
        net.network_dynamics(world, partnership.with_trade_contacts(world, met.used))
        if world.t % 12 == world.params.governance.rat_month % 12:
            self.last_shu = governance.rat(world)
        world.refresh_board_tie()
        if self.datacollector is not None:
            self._row = metrics.collect(self)
            self.datacollector.collect(self)
        elif self._world_vars is not None:
            self._collect_worlds()


class WorldView:
    """One world of a batch as the instruments read a run model: its state and ties in its own
    numbering (:func:`kopsim.population.world_views`), its parameters, the month, and no kemitraan
    record (a batch holds none)."""

    def __init__(self, state: State, ties: net.Ties, params: Parameters, steps: int) -> None:
        self.state, self.ties, self.p, self.steps = state, ties, params, steps
        self.world = SimpleNamespace(partnership=None)


def timetables(
    interventions: Sequence[Intervention] | Sequence[Sequence[Intervention]], worlds: int
) -> tuple[tuple[Intervention, ...], list[np.ndarray | None]]:
    """The programmes of a batch and, for each, the worlds whose timetable holds it.

    ``interventions``: one sequence for every world, or one sequence per world (a world's own
    timetable). Returns the programmes in an order that keeps every world's own order (each world
    applies its programmes in the order it would alone) and, per programme, a (W,) bool mask of
    its worlds (None when every world has it).
    """
    if not interventions or isinstance(interventions[0], Intervention):
        return tuple(interventions), [None] * len(interventions)  # type: ignore[arg-type]
    if len(interventions) != worlds:
        raise ValueError(f"interventions: {len(interventions)} timetables for {worlds} worlds; allowed: one per world")

    # a programme is identified by its value and which occurrence it is in a world's timetable
    # (interventions hold lists, so they are compared, not hashed)
    def keyed(own: Sequence[Intervention]) -> list[tuple[Intervention, int]]:
        return [(iv, sum(other == iv for other in own[:k])) for k, iv in enumerate(own)]

    keys = [keyed(own) for own in interventions]  # type: ignore[arg-type]
    nodes: list[tuple[Intervention, int]] = []  # every programme, in order of first appearance
    for own in keys:
        nodes += [key for key in own if key not in nodes]
    # each world's order is a chain of "before" constraints; a topological order keeps them all
    before = [{nodes.index(own[k]) for own in keys for k in range(1, len(own)) if own[k - 1] == node} for node in nodes]
    waiting = [sum(i in after for after in before) for i in range(len(nodes))]
    order: list[int] = []
    while len(order) < len(nodes):
        free = [i for i in range(len(nodes)) if waiting[i] == 0 and i not in order]
        if not free:
            raise ValueError(
                "interventions: the worlds of a batch hold the same programmes in different orders; allowed: one order"
            )
        order.append(free[0])  # the earliest-seen free programme
        for i in before[free[0]]:
            waiting[i] -= 1
    union = [nodes[i] for i in order]
    masks = []
    for key in union:
        mask = np.array([key in own for own in keys])
        masks.append(None if mask.all() else mask)
    return tuple(iv for iv, _ in union), masks


def _is_sequence(value: object) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes, Mapping))


def _as_parameters(params: Parameters | Mapping[str, Any] | None) -> Parameters:
    if params is None:
        return Parameters()
    return params if isinstance(params, Parameters) else Parameters.from_dict(params)


def world_seeds(seed: int | Sequence[int] | None, replicates: int | None = None) -> list[int | None]:
    """The seed of each world: ``seed`` itself for a single world; a sequence of seeds, one per world;
    or, for ``replicates`` = R > 1 and one root seed, the seeds of the runner's replications 0 … R−1
    (:func:`kopsim.streams.replication_seeds`)."""
    if isinstance(seed, Sequence) and not isinstance(seed, str):
        seeds: list[int | None] = [None if s is None else int(s) for s in seed]
        if not seeds or (replicates is not None and replicates != len(seeds)):
            raise ValueError(f"seed: {len(seeds)} seeds for {replicates} replicates; allowed: one per replicate")
        return seeds
    if replicates is not None and replicates < 1:
        raise ValueError(f"replicates: {replicates}; allowed: at least 1")
    if replicates is None or replicates == 1:
        return [seed]
    return list(replication_seeds(seed, replicates))


def _tidy(table: pd.DataFrame) -> pd.DataFrame:
    """A table of rows from month 0 as :meth:`CooperativeModel.metrics_frame` gives it: from month 1,
    with a ``step`` column first."""
    frame = table.iloc[1:].reset_index(drop=True)
    frame.insert(0, "step", np.arange(1, len(frame) + 1))
    return frame


def _current(name: str, model: CooperativeModel) -> Any:
    """Mesa model reporter: outcome ``name`` of the month just collected."""
    return model._row[name]


class MetricsCollector(mesa.DataCollector):
    """Mesa's DataCollector for the metrics table, one model reporter per outcome (:func:`_current`).

    A month's row is computed once (:func:`kopsim.metrics.collect`) and its values, Python numbers,
    are appended as they are: Mesa's collect calls each reporter and deep-copies its value, which
    for a number copies nothing and cost a tenth of a Mandiri Jaya run.
    """

    def collect(self, model: mesa.Model) -> None:
        row = model._row
        for name, values in self.model_vars.items():
            values.append(row[name])
