"""The classroom session behind the page: settings → model, stepping and snapshots.

Nothing here imports Solara, so it can be tested (and timed) without a browser. One
:class:`Classroom` per browser tab holds a :class:`~simulation.model.CooperativeModel`
built from a scenario, a class-size population (:func:`classroom_parameters`) and the
interventions chosen with the page's sliders (:class:`Settings`). Node positions are
computed once per reset (:func:`~kopsim.network_layout.village_layout`: one cluster per
village, seeded), so the network picture stays put while colours, sizes and ties change.
A :class:`Snapshot` is copied under the session lock, so the pictures
(:mod:`kopsim.app.pictures`) never show half a month.
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ..interventions import Grant, HarvestFailure, Intervention, Kemitraan, Training, VillageEngagement
from ..network_layout import village_label_positions, village_layout
from ..network_picture import NetworkView
from ..parameters import ParameterError, Parameters
from ..scenario import Scenario, ScenarioError, load
from ..state import BOARD, TRUST_TARGETS
from .labels import text

# When the slider interventions act (months are 1-based); shown in the labels.
TRAINING_START, TRAINING_EVERY = 1, 12
KEMITRAAN_START, KEMITRAAN_EVERY = 3, 12
GRANT_MONTH = 3
HARVEST_START, HARVEST_END = 6, 11
DEFAULT_HOUSEHOLDS = 290  # + agencies, village governments and moneylenders ≈ 300 agents

# Series drawn in the charts (and reported in the page's data element for tests).
PARTICIPATION = ("participation_organisation", "participation_business", "participation_capital")
TIES = ("ties_bonding", "ties_bridging", "ties_linking")


class AppError(ValueError):
    """A problem the page shows as one readable sentence (bad scenario, invalid setting)."""


# What the server accepts from a browser: the same limits as the page's widgets (page.py builds
# its sliders from these), checked again here because a page's messages can be forged.
HOUSEHOLDS_RANGE = (100, 800)  # the households slider
QUOTA_RANGE = (0, 40)  # the training quota slider
GRANT_RANGE = (0, 300)  # Rp M, the grant slider
HARVEST_LOSS_RANGE = (0, 90)  # percent, the harvest slider
SEED_RANGE = (0, 2**32 - 1)  # the seed field
# Class size: the most a classroom server simulates per tab (the command line may ask for more
# households than the slider, e.g. --households 0 for a scenario's own population, up to this).
MAX_CLASS_HOUSEHOLDS = 2_000
MAX_CLASS_STEPS = 600  # months (50 years); the shipped scenarios run 120
_BOOLEANS = ("training_follow_up", "kemitraan", "association", "village_engagement")

_teacher_scenarios: set[str] = set()  # scenario files named on the command line (kopsim app FILE)
_teacher_households: set[int] = set()  # --households from the command line (may be outside the slider)


def allow_teacher_choice(scenario: str | None, households: int) -> None:
    """Accept the command line's scenario and class size from the page too (the teacher chose them)."""
    if scenario:
        _teacher_scenarios.add(str(scenario))
    _teacher_households.add(int(households))


def _env_teacher_choice() -> tuple[set[str], set[int]]:
    """The command line's choices as the server passed them to the page (same process)."""
    import os

    names, sizes = set(_teacher_scenarios), {DEFAULT_HOUSEHOLDS, *_teacher_households}
    if os.environ.get("KOPSIM_APP_SCENARIO"):
        names.add(os.environ["KOPSIM_APP_SCENARIO"])
    with contextlib.suppress(ValueError):
        sizes.add(int(os.environ.get("KOPSIM_APP_HOUSEHOLDS", "")))
    return names, sizes


def allowed_scenarios() -> list[str]:
    """The scenarios a page may choose: those the teacher named, then the shipped ones."""
    from kopsim import scenarios

    shipped = scenarios.available()
    return [*sorted(_env_teacher_choice()[0] - set(shipped)), *shipped]


def _whole(name: str, value: Any, lo: int, hi: int, zero_ok: bool = False) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise AppError(f"{name}: expected a whole number, got {type(value).__name__}")
    if not (lo <= value <= hi or (zero_ok and value == 0)):
        also = " or 0" if zero_ok else ""
        raise AppError(f"{name}: {value} is outside the allowed range {lo}..{hi}{also}")


@dataclass(frozen=True)
class Settings:
    """What the page's controls choose; a new model is built from them at every reset."""

    scenario: str = "baseline"
    seed: int | None = None  # None: the scenario's seed
    households: int = DEFAULT_HOUSEHOLDS  # 0: the scenario's own population
    training_quota: int = 0  # trainees per cooperative per session; 0 = no extra training
    training_follow_up: bool = True
    kemitraan: bool = False
    association: bool = False
    grant: int = 0  # Rp M per cooperative; 0 = no grant
    village_engagement: bool = False
    harvest_loss: int = 0  # percent of the harvest lost in the shock months; 0 = no shock

    def interventions(self) -> list[Intervention]:
        """The slider interventions, appended to the scenario's own."""
        out: list[Intervention] = []
        if self.training_quota > 0:
            out.append(
                Training(
                    start=TRAINING_START,
                    every=TRAINING_EVERY,
                    quota=self.training_quota,
                    follow_up=self.training_follow_up,
                )
            )
        if self.kemitraan:
            out.append(Kemitraan(start=KEMITRAAN_START, every=KEMITRAAN_EVERY, association=self.association))
        if self.grant > 0:
            out.append(Grant(start=GRANT_MONTH, amount=float(self.grant)))
        if self.village_engagement:
            out.append(VillageEngagement(start=1))
        if self.harvest_loss > 0:
            out.append(HarvestFailure(start=HARVEST_START, end=HARVEST_END, factor=1.0 - self.harvest_loss / 100.0))
        return out

    def describe(self, lang: str) -> str:
        """The active slider interventions in a few words."""
        items = []
        if self.training_quota > 0:
            items.append(
                text("short_training", lang, quota=self.training_quota)
                + (text("short_follow_up", lang) if self.training_follow_up else "")
            )
        if self.kemitraan:
            items.append(text("short_kemitraan", lang) + (text("short_association", lang) if self.association else ""))
        if self.grant > 0:
            items.append(text("short_grant", lang, amount=self.grant))
        if self.village_engagement:
            items.append(text("short_village", lang))
        if self.harvest_loss > 0:
            items.append(text("short_harvest", lang, loss=self.harvest_loss))
        return text("applied", lang, items="; ".join(items) if items else text("none", lang))


def check_settings(settings: Settings) -> None:
    """Every value a browser may send, checked against the widgets' limits; raises :class:`AppError`.

    Besides the slider's range, households may be the command line's value (0 = the scenario's
    own population), within the class size MAX_CLASS_HOUSEHOLDS.
    """
    if not isinstance(settings, Settings):
        raise AppError("settings: not a kopsim Settings object")
    if not isinstance(settings.scenario, str) or settings.scenario not in allowed_scenarios():
        shown = settings.scenario[:60] if isinstance(settings.scenario, str) else type(settings.scenario).__name__
        raise AppError(f"scenario: {shown!r}: no such scenario offered here; choose one of the page's list")
    if settings.seed is not None:
        if isinstance(settings.seed, int) and not isinstance(settings.seed, bool) and settings.seed < 0:
            raise AppError(f"seed: {settings.seed} is negative; allowed: a whole number >= 0")
        _whole("seed", settings.seed, *SEED_RANGE)
    teacher = {h for h in _env_teacher_choice()[1] if 0 <= h <= MAX_CLASS_HOUSEHOLDS}
    if settings.households not in teacher:
        lo, hi = HOUSEHOLDS_RANGE
        if isinstance(settings.households, bool) or not isinstance(settings.households, int):
            raise AppError(f"households: expected a whole number, got {type(settings.households).__name__}")
        if not lo <= settings.households <= hi:
            raise AppError(
                f"households: {settings.households} is outside the allowed range {lo}..{hi} "
                f"(from the command line: 0 = the scenario's own, or up to {MAX_CLASS_HOUSEHOLDS})"
            )
    _whole("training_quota", settings.training_quota, *QUOTA_RANGE)
    _whole("grant", settings.grant, *GRANT_RANGE)
    _whole("harvest_loss", settings.harvest_loss, *HARVEST_LOSS_RANGE)
    for name in _BOOLEANS:
        if not isinstance(getattr(settings, name), bool):
            raise AppError(f"{name}: expected true or false")


def check_class_size(scen: Scenario, params: Parameters) -> None:
    """A classroom simulates at most MAX_CLASS_HOUSEHOLDS households for at most MAX_CLASS_STEPS months."""
    pop = params.population
    households = pop.n_villages * pop.households_per_village
    if households > MAX_CLASS_HOUSEHOLDS:
        raise AppError(
            f"scenario {scen.name!r}: {households} households is more than a classroom's limit of "
            f"{MAX_CLASS_HOUSEHOLDS}; choose fewer households"
        )
    if scen.steps > MAX_CLASS_STEPS:
        raise AppError(
            f"scenario {scen.name!r}: {scen.steps} months is more than a classroom's limit of {MAX_CLASS_STEPS}"
        )


JOIN_CODE_ENV = "KOPSIM_APP_JOIN_CODE"  # set by the server when it listens beyond this computer
MAX_SESSIONS_ENV = "KOPSIM_APP_MAX_SESSIONS"
DEFAULT_MAX_SESSIONS = 60  # open tabs at once: a class, with room for a few reloads


def join_code_required() -> bool:
    import os

    return bool(os.environ.get(JOIN_CODE_ENV))


def check_join_code(given: Any) -> bool:
    """True if ``given`` is the server's join code (always, when the server needs none)."""
    import hmac
    import os

    code = os.environ.get(JOIN_CODE_ENV, "")
    if not code:
        return True
    return isinstance(given, str) and hmac.compare_digest(given.strip().encode(), code.encode())


class SessionSlots:
    """At most ``limit`` classrooms at once (each tab holds a model in the server's memory).

    Without ``limit``, it is read from KOPSIM_APP_MAX_SESSIONS when needed (the server sets it
    after this module is imported), else DEFAULT_MAX_SESSIONS.
    """

    def __init__(self, limit: int | None = None) -> None:
        self._limit = limit
        self._held: dict[int, object] = {}  # the keys themselves, so that an id is not reused while held
        self._lock = threading.Lock()

    @property
    def limit(self) -> int:
        import os

        if self._limit is not None:
            return max(1, self._limit)
        try:
            return max(1, int(os.environ.get(MAX_SESSIONS_ENV, DEFAULT_MAX_SESSIONS)))
        except ValueError:
            return DEFAULT_MAX_SESSIONS

    def acquire(self, key: object) -> bool:
        """Take a slot for ``key`` (idempotent); False when the class is full."""
        with self._lock:
            if id(key) in self._held:
                return True
            if len(self._held) >= self.limit:
                return False
            self._held[id(key)] = key
            return True

    def release(self, key: object) -> None:
        with self._lock:
            self._held.pop(id(key), None)

    @property
    def in_use(self) -> int:
        return len(self._held)


SLOTS = SessionSlots()  # shared by every tab of this server process


MIN_VILLAGE = 40  # households per village at least, when a scenario is shrunk to class size


def classroom_parameters(scen: Scenario, households: int) -> Parameters:
    """The scenario's parameters resized to about ``households`` households (0: unchanged), with
    the costly network metrics switched off (the page does not show them).

    Villages keep their number unless they would drop below MIN_VILLAGE households (then fewer
    villages, and cooperatives in proportion); the members' share of each cooperative's
    households stays the scenario's.
    """
    params = scen.params.replace({"metrics.network_every": 0, "metrics.centrality_every": 0})
    if households <= 0:
        return params
    pop = params.population
    villages = max(1, min(pop.n_villages, households // MIN_VILLAGE))
    coops = max(1, min(villages, round(pop.n_cooperatives * villages / pop.n_villages)))
    targeted = max((max(iv.cooperatives) + 1 for iv in scen.interventions if iv.cooperatives), default=1)
    coops = max(coops, min(targeted, villages))  # keep the cooperatives the scenario's programmes target
    per_village = max(1, round(households / villages))
    share = pop.members_per_cooperative / (pop.households_per_village * (pop.n_villages // pop.n_cooperatives))
    catchment = per_village * (villages // coops)
    members = min(catchment, max(round(share * catchment), pop.board_size + pop.supervisors))
    return params.replace(
        {
            "population.n_villages": villages,
            "population.n_cooperatives": coops,
            "population.households_per_village": per_village,
            "population.members_per_cooperative": members,
        }
    )


@dataclass
class Snapshot:
    """Everything the figures need, copied at one moment."""

    month: int
    steps: int
    n_agents: int
    history: dict[str, np.ndarray]  # column -> values for months 0..month
    pos: np.ndarray  # (n, 2)
    role: np.ndarray
    member: np.ndarray
    board: np.ndarray
    trust: np.ndarray  # (n, 3)
    participation: np.ndarray  # (n,) mean over the three domains
    tie_a: np.ndarray
    tie_b: np.ndarray
    tie_layer: np.ndarray
    tie_strength: np.ndarray
    village_labels: list[tuple[float, float]] = field(default_factory=list)
    settings: Settings = field(default_factory=Settings)
    scenario_name: str = ""
    scenario_description: str = ""

    def network_view(self, target: str) -> NetworkView:
        """What the network picture shows at this moment, households coloured by trust in ``target``."""
        return NetworkView(
            pos=self.pos,
            role=self.role,
            member=self.member,
            board=self.board,
            trust=self.trust[:, TRUST_TARGETS.index(target)],
            participation=self.participation,
            tie_a=self.tie_a,
            tie_b=self.tie_b,
            tie_layer=self.tie_layer,
            tie_strength=self.tie_strength,
        )

    def last(self, column: str) -> float:
        return float(self.history[column][-1])

    def data(self) -> dict[str, Any]:
        """The current month and the charts' latest values (shown in the page for tests and teachers)."""
        cols = (
            *PARTICIPATION,
            *(f"trust_{t}_{b}" for t in TRUST_TARGETS for b in ("low", "medium", "high")),
            *TIES,
            "members",
            "trust_institution_mean",
        )
        out: dict[str, Any] = {
            "month": self.month,
            "steps": self.steps,
            "agents": self.n_agents,
            "scenario": self.scenario_name,
        }
        out.update({c: round(self.last(c), 6) for c in cols})
        return out


@dataclass
class AgentInfo:
    """One actor at this moment and its history (months 0..now), for the page's inspect card."""

    index: int
    role: int
    village: int  # -1: a regional actor (agency, partner firm)
    member: bool
    board: bool
    trust: np.ndarray  # (3,) in the order of :data:`kopsim.state.TRUST_TARGETS` (peer, board, institution)
    participation: np.ndarray  # (3,) organisation, business, capital
    ties: np.ndarray  # (3,) bonding, bridging, linking
    trust_history: np.ndarray  # (months, 3)
    participation_history: np.ndarray  # (months,) mean over the three domains


class Classroom:
    """One browser tab's simulation: build from :class:`Settings`, step, snapshot. Thread-safe."""

    def __init__(self, settings: Settings) -> None:
        self._lock = threading.RLock()
        self.settings = settings
        self.reset(settings)

    def reset(self, settings: Settings) -> None:
        """Build a new model from ``settings``; raises :class:`AppError` with a readable message."""
        from ..metrics import collect
        from ..model import CooperativeModel

        check_settings(settings)  # the browser's values are not trusted
        try:
            scen = load(settings.scenario)
        except ScenarioError as err:
            raise AppError(str(err)) from None
        try:
            params = classroom_parameters(scen, settings.households)
        except ParameterError as err:
            raise AppError(f"{settings.households} households are too few for scenario {scen.name!r} ({err})") from None
        check_class_size(scen, params)
        try:
            seed = scen.seed if settings.seed is None else settings.seed
            model = CooperativeModel(params, seed=seed, interventions=(*scen.interventions, *settings.interventions()))
        except (ScenarioError, ParameterError) as err:
            raise AppError(str(err)) from None
        first = collect(model)  # month 0: the starting state
        with self._lock:
            self.settings = replace(settings, seed=seed)
            self.scenario = scen
            self.model = model
            self.steps = scen.steps
            self._history = {k: [v] for k, v in first.items()}
            # every agent's trust and participation per month, for click-to-inspect (float16: 3 digits, ~4 kB a month)
            self._agent_trust = [model.state.trust.astype(np.float16)]
            self._agent_participation = [model.state.participation.astype(np.float16)]
            self.pos = village_layout(model)
            self.village_labels = village_label_positions(model, self.pos)

    @property
    def month(self) -> int:
        return int(self.model.steps)

    @property
    def finished(self) -> bool:
        return self.month >= self.steps

    def step(self, n: int = 1) -> int:
        """Advance up to ``n`` months (not past the scenario's length); returns the months done."""
        done = 0
        with self._lock:
            for _ in range(n):
                if self.finished:
                    break
                try:
                    self.model.step()
                except (ScenarioError, ParameterError) as err:
                    raise AppError(str(err)) from None
                row = self.model.metrics_frame().iloc[-1]
                for k, values in self._history.items():
                    values.append(row.get(k, np.nan))
                self._agent_trust.append(self.model.state.trust.astype(np.float16))
                self._agent_participation.append(self.model.state.participation.astype(np.float16))
                done += 1
        return done

    def history(self) -> dict[str, np.ndarray]:
        """The charts' columns for months 0..now (kept by the page as the previous run at Reset)."""
        with self._lock:
            return {k: np.asarray(v, dtype=float) for k, v in self._history.items()}

    def agent(self, index: int) -> AgentInfo:
        """What the page shows about one actor (click-to-inspect); raises :class:`AppError` for a bad index."""
        with self._lock:
            s, ties = self.model.state, self.model.ties
            if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < s.n:
                raise AppError(f"actor {index!r}: no such actor (0..{s.n - 1})")
            touching = (ties.a == index) | (ties.b == index)
            member = bool(s.member[index]) and index < s.n_households
            return AgentInfo(
                index=index,
                role=int(s.role[index]),
                village=int(s.village[index]),
                member=member,
                board=member and int(s.office[index]) == BOARD,
                trust=s.trust[index].astype(float),
                participation=s.participation[index].astype(float),
                ties=np.bincount(ties.layer[touching].astype(np.int64), minlength=3)[:3],
                trust_history=np.array([t[index] for t in self._agent_trust], dtype=float),
                participation_history=np.array([p[index].mean() for p in self._agent_participation], dtype=float),
            )

    def snapshot(self) -> Snapshot:
        with self._lock:
            s, ties = self.model.state, self.model.ties
            H = s.n_households
            member = s.member.copy()
            member[H:] = False
            return Snapshot(
                month=self.month,
                steps=self.steps,
                n_agents=s.n,
                history={k: np.asarray(v, dtype=float) for k, v in self._history.items()},
                pos=self.pos,
                role=s.role.copy(),
                member=member,
                board=member & (s.office == BOARD),
                trust=s.trust.copy(),
                participation=s.participation.mean(axis=1),
                tie_a=ties.a.copy(),
                tie_b=ties.b.copy(),
                tie_layer=ties.layer.copy(),
                tie_strength=ties.strength.copy(),
                village_labels=self.village_labels,
                settings=self.settings,
                scenario_name=self.scenario.name,
                scenario_description=self.scenario.description,
            )
