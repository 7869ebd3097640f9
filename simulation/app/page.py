"""The classroom page (Solara): network picture, three live charts, run controls and intervention sliders.

Served by :mod:`kopsim.app.server` (``kopsim app``); the scenario, class size, seed and
language chosen on the command line arrive in environment variables (``KOPSIM_APP_*``).

Every browser tab has its own :class:`~simulation.app.session.Classroom`. Sliders and toggles
edit a draft :class:`~simulation.app.session.Settings`; Reset builds a new model from it (the page
says so while the draft differs from the running model). Errors never reach the page as a
traceback: they are shown as one readable sentence (``solara.Error``) and logged in full on
the server.

Only :func:`LiveView` reads the per-month ``version``, so a step re-renders the two pictures
and the status line, not the controls.

For a projector at 1024×768 every text is ≥ 16 px (one CSS rule, :data:`CSS`), the charts are
inline SVG (:mod:`kopsim.app.charts`) and the network picture carries no text (its legend and
village names are HTML and SVG). The teacher sets the run's speed, chooses the plotted variables,
and clicks a dot to inspect that actor (its trust, participation, ties and history); after a
Reset the previous run stays in the charts as faint dashed lines. Each intervention says under
its slider how fast its effect shows, and where.

Stable CSS classes for tests: ``kopsim-step``, ``kopsim-run``, ``kopsim-reset`` (buttons),
``kopsim-speed`` (speed buttons, ``kopsim-speed-<n>``), ``kopsim-variables`` (plotted variables),
``kopsim-month`` (status line), ``kopsim-data`` (hidden JSON of the month, the charts' latest
values, speed, charts shown and inspected actor), ``kopsim-network`` (the picture) with
``kopsim-overlay`` (circles ``#kopsim-agent-<i>``), ``kopsim-legend``, ``kopsim-inspect``,
``kopsim-charts`` (``svg.kopsim-chart-<panel>``, lines ``kopsim-series`` / ``kopsim-previous``),
``kopsim-note`` (per intervention), ``kopsim-error``, ``kopsim-pending``, and ``kopsim-<control>``
around each control (e.g. ``kopsim-training-quota``).
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from html import escape
from typing import Any, cast

import numpy as np
import solara

from .. import network as net
from ..labels import outcome_label
from ..network_picture import MARKERS
from ..palette import LAYER_COLOURS, SERIES, TRUST_CMAP
from ..parameters import ParameterError
from ..scenario import ScenarioError
from ..state import AGENCY, FARMER, MONEYLENDER, PARTNER, TRADER, UMKM
from .charts import DEFAULT_PANELS, MAX_PANELS, PANELS, line_chart, panel_svg
from .labels import DEFAULT_LANGUAGE, LANGUAGES, text
from .pictures import Painter, overlay_svg
from .session import (
    DEFAULT_HOUSEHOLDS,
    GRANT_RANGE,
    HARVEST_LOSS_RANGE,
    HOUSEHOLDS_RANGE,
    QUOTA_RANGE,
    SLOTS,
    AppError,
    Classroom,
    Settings,
    allowed_scenarios,
    check_join_code,
    join_code_required,
)

log = logging.getLogger("kopsim.app")

# Run speeds in months per second (0: as fast as the machine goes); the teacher slows down to narrate.
SPEEDS = (0.5, 1.0, 2.0, 5.0, 0.0)
DEFAULT_SPEED = 2.0
MIN_PAUSE_SECONDS = 0.05  # even "fastest" lets the browser draw each month (and keep up)
ROLE_KEYS = {
    TRADER: "trader",
    FARMER: "farmer",
    UMKM: "umkm",
    AGENCY: "agency",
    MONEYLENDER: "moneylender",
    PARTNER: "partner",
}
# The chart where each intervention's effect shows first (see the notes under the sliders).
SLIDER_CHARTS = {
    "training_quota": "skill",
    "training_follow_up": "skill",
    "kemitraan": "partners",
    "association": "partners",
    "grant": "loans",
    "village_engagement": "information",
    "harvest_loss": "income",
}
MARKER_GLYPHS = {"o": "●", "s": "■", "^": "▲", "D": "◆", "X": "✖", "P": "✚"}  # the legend's marker shapes
TRUST_TARGETS = ("institution", "board", "peer")
_VERSIONS = itertools.count(1)  # monotonic and thread-safe: every change of a model gets a new number
DRAW_WAIT_SECONDS = 5.0  # the run loop waits at most this long for the page to draw the month it announced


class Drawn:
    """The last model version the page has drawn, shared by the render and the run loop's thread.

    The run loop announces a month (a new version) and waits until the page has drawn it before it
    steps again: a run can never change the state faster than the page renders, which would make the
    renderer chase the thread ("too many renders") on a slow machine at the fastest speed."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._version = 0

    def mark(self, version: int) -> None:
        with self._cond:
            self._version = max(self._version, version)
            self._cond.notify_all()

    def wait(self, version: int, timeout: float) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: self._version >= version, timeout)


def initial_settings() -> Settings:
    """The settings chosen on the command line (environment variables set by the server, which
    checked them; anything unreadable falls back to the defaults)."""

    def number(name: str, default: int | None) -> int | None:
        try:
            return int(os.environ.get(name, ""))
        except ValueError:
            return default

    return Settings(
        scenario=os.environ.get("KOPSIM_APP_SCENARIO") or "baseline",
        seed=number("KOPSIM_APP_SEED", None),
        households=number("KOPSIM_APP_HOUSEHOLDS", DEFAULT_HOUSEHOLDS) or 0,
    )


def initial_language() -> str:
    lang = os.environ.get("KOPSIM_APP_LANG", DEFAULT_LANGUAGE)
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def readable(err: BaseException, lang: str) -> str:
    """One sentence for the page; unexpected errors are logged with their traceback on the server."""
    if isinstance(err, (AppError, ScenarioError, ParameterError)):
        message = str(err)
    else:
        log.error("kopsim app: unexpected error", exc_info=err)
        message = text("error_unexpected", lang, kind=type(err).__name__)
    return text("error", lang, message=message)


def scenario_names() -> list[str]:
    """The shipped scenarios and those the teacher named on the command line (the server accepts no others)."""
    return allowed_scenarios()


def _first_classroom(lang: str, slot: object) -> tuple[Classroom | None, str | None]:
    if not SLOTS.acquire(slot):
        return None, text("error", lang, message=text("class_full", lang, limit=SLOTS.limit))
    try:
        return Classroom(initial_settings()), None
    except Exception as err:  # shown on the page (the command line checked the scenario already)
        return None, readable(err, lang)


@solara.component
def Page() -> None:
    """The page. No render function here lets an exception escape (risky work is done in
    try blocks before any element is built), so Solara never shows its traceback page."""
    lang = solara.use_reactive(initial_language())
    joined = solara.use_reactive(not join_code_required())  # server-side state: the browser cannot set it
    solara.Title("kopsim — " + text("title", lang.value).split(" — ")[0])
    solara.Style(CSS)
    if joined.value:
        ClassroomView(lang)
    else:
        JoinGate(lang, joined)


MAX_JOIN_ATTEMPTS = 10  # per tab; then the tab must be reloaded (slows down guessing the code)


@solara.component
def JoinGate(lang: solara.Reactive[str], joined: solara.Reactive[bool]) -> None:
    """Asks for the join code the server printed (only when it listens beyond this computer)."""
    L = lang.value
    code = solara.use_reactive("")
    attempts = solara.use_reactive(0)

    def submit() -> None:
        if attempts.value >= MAX_JOIN_ATTEMPTS:
            return
        if check_join_code(code.value):
            joined.set(True)
        else:
            attempts.set(attempts.value + 1)

    with solara.Column(style={"padding": "18px", "max-width": "420px"}, gap="8px"):
        solara.HTML(tag="h2", unsafe_innerHTML=text("title", L), classes=["kopsim-title"])
        solara.InputText(text("join_prompt", L), value=code, continuous_update=True, classes=["kopsim-join-code"])
        solara.Button(
            text("join_button", L),
            on_click=submit,
            color="primary",
            classes=["kopsim-join"],
            disabled=attempts.value >= MAX_JOIN_ATTEMPTS,
        )
        if attempts.value:
            solara.Error(text("join_wrong", L), classes=["kopsim-error"])


@solara.component
def ClassroomView(lang: solara.Reactive[str]) -> None:
    L = lang.value
    slot = solara.use_memo(object, [])  # this tab's place in the class (SLOTS), freed when the tab closes
    first, first_error = solara.use_memo(lambda: _first_classroom(L, slot), [])
    solara.use_effect(lambda: lambda: SLOTS.release(slot), [])
    room_ref = solara.use_ref(first)
    error = solara.use_reactive(first_error)  # str | None
    running = solara.use_reactive(False)
    finished = solara.use_reactive(False)
    version = solara.use_reactive(0)  # a new number after every change of the model (read by LiveView only)
    resets = solara.use_reactive(0)  # bumped at every reset
    target = solara.use_reactive("institution")
    panels = solara.use_reactive(list(DEFAULT_PANELS))
    selected = solara.use_reactive(cast("int | None", None))  # the inspected actor
    previous = solara.use_reactive(cast("dict[str, Any] | None", None))  # the charts' columns before the last Reset
    # read by the run loop's thread at every month, so a change of speed acts at once
    speed = solara.use_memo(lambda: solara.reactive(DEFAULT_SPEED), [])
    drawn = solara.use_memo(Drawn, [])
    draft = solara.use_memo(lambda: solara.reactive(first.settings if first is not None else initial_settings()), [])

    def guard(action: Callable[[], Any]) -> Callable[[], None]:
        def run() -> None:
            try:
                action()
                error.set(None)
            except Exception as err:
                running.set(False)
                error.set(readable(err, lang.value))

        return run

    def do_step() -> None:
        room = room_ref.current
        if room is not None:
            room.step()
            version.set(next(_VERSIONS))
            finished.set(room.finished)

    def do_reset() -> None:
        running.set(False)
        if not SLOTS.acquire(slot):
            raise AppError(text("class_full", lang.value, limit=SLOTS.limit))
        old = room_ref.current
        new = Classroom(draft.value)  # AppError: shown, and the old model stays
        if old is not None and old.month > 0:  # kept as faint lines, to compare before and after
            previous.set(old.history())
        room_ref.current = new
        draft.set(new.settings)
        finished.set(new.finished)
        selected.set(None)
        resets.set(resets.value + 1)
        version.set(next(_VERSIONS))

    def toggle_run() -> None:
        room = room_ref.current
        running.set(not running.value and room is not None and not room.finished)

    def run_loop(cancel: threading.Event) -> None:
        """While running: a month, a redraw, a pause set by the speed. Stopped between months only (never
        inside a step) when Pause or Reset changes the dependencies."""
        room = room_ref.current
        if not running.value or room is None:
            return
        try:
            while not cancel.is_set() and running.value:
                t0 = time.monotonic()
                if room.step() == 0:
                    break
                announced = next(_VERSIONS)
                version.set(announced)
                drawn.wait(announced, DRAW_WAIT_SECONDS)  # back-pressure: the page draws every month
                rate = speed.value if isinstance(speed.value, (int, float)) else DEFAULT_SPEED
                per_month = 1.0 / rate if rate > 0 else 0.0
                cancel.wait(max(MIN_PAUSE_SECONDS, per_month - (time.monotonic() - t0)))
        except Exception as err:
            error.set(readable(err, lang.value))
        finally:
            if not cancel.is_set():  # ran to the end (or failed): show Run again
                running.set(False)
            if room is room_ref.current:  # after a reset, the new model's state counts
                finished.set(room.finished)

    solara.use_thread(run_loop, dependencies=[running.value, resets.value], intrusive_cancel=False)

    with solara.Column(style={"padding": "4px 12px"}, gap="4px", classes=["kopsim-page"]):
        with solara.Row(justify="space-between", style={"align-items": "center", "flex-wrap": "wrap"}):
            solara.HTML(tag="h2", unsafe_innerHTML=text("title", L), classes=["kopsim-title"])
            with solara.Row(style={"align-items": "center"}, gap="6px"):
                solara.Text(text("language", L) + ":")
                with solara.ToggleButtonsSingle(value=lang, dense=True, classes=["kopsim-language"]):
                    solara.Button("Bahasa Indonesia", value="id", classes=["kopsim-lang-id"])
                    solara.Button("English", value="en", classes=["kopsim-lang-en"])
        ErrorBanner(error)
        RunBar(L, room_ref, running, finished, resets, speed, guard(do_step), guard(toggle_run), guard(do_reset))
        with solara.Columns([3, 9], gutters_dense=True):
            Controls(L, room_ref, draft, resets, target, panels)
            LiveView(L, room_ref, version, resets, target, panels, selected, previous, speed, error, drawn)


@solara.component
def ErrorBanner(error: solara.Reactive[str | None]) -> None:
    if error.value:
        solara.Error(error.value, classes=["kopsim-error"])


@solara.component
def RunBar(
    L: str,
    room_ref: Any,
    running: solara.Reactive[bool],
    finished: solara.Reactive[bool],
    resets: solara.Reactive[int],
    speed: solara.Reactive[float],
    on_step: Callable[[], None],
    on_run: Callable[[], None],
    on_reset: Callable[[], None],
) -> None:
    """Step, Run/Pause, Reset and the speed: one row across the top, always in view."""
    _ = resets.value
    room: Classroom | None = room_ref.current
    is_running, is_finished = running.value, finished.value or room is None
    with solara.Row(gap="8px", style={"flex-wrap": "wrap", "align-items": "center"}, classes=["kopsim-runbar"]):
        solara.Button(
            text("step", L),
            icon_name="mdi-step-forward",
            on_click=on_step,
            disabled=is_finished or is_running,
            color="primary",
            classes=["kopsim-step"],
        )
        solara.Button(
            text("pause", L) if is_running else text("run", L),
            icon_name="mdi-pause" if is_running else "mdi-play",
            on_click=on_run,
            disabled=is_finished and not is_running,
            color="primary",
            outlined=True,
            classes=["kopsim-run"],
        )
        solara.Button(
            text("reset", L), icon_name="mdi-restore", on_click=on_reset, outlined=True, classes=["kopsim-reset"]
        )
        solara.Text(text("speed", L), style={"margin-left": "12px"})
        with solara.ToggleButtonsSingle(
            value=speed.value, on_value=speed.set, dense=True, mandatory=True, classes=["kopsim-speed"]
        ):
            for s in SPEEDS:
                solara.Button(
                    _number(s, L) if s > 0 else text("speed_max", L),
                    value=s,
                    classes=[f"kopsim-speed-{_number(s, 'en').replace('.', '_')}"],
                )


def _number(value: float, L: str) -> str:
    shown = f"{value:g}"
    return shown.replace(".", ",") if L == "id" else shown


@solara.component
def LiveView(
    L: str,
    room_ref: Any,
    version: solara.Reactive[int],
    resets: solara.Reactive[int],
    target: solara.Reactive[str],
    panels: solara.Reactive[list[str]],
    selected: solara.Reactive[int | None],
    previous: solara.Reactive[dict[str, Any] | None],
    speed: solara.Reactive[float],
    error: solara.Reactive[str | None],
    drawn: Drawn | None = None,
) -> None:
    """The status line, the network with its legend and inspect card, and the charts: re-rendered every month."""
    room: Classroom | None = room_ref.current
    tick, reset_count, who, shown = version.value, resets.value, target.value, panels.value
    # after the render is on the page, tell the run loop this month has been drawn
    solara.use_effect(lambda: drawn.mark(tick) if drawn is not None else None, [tick])

    def make_painter() -> tuple[Painter | None, str | None]:
        if room is None:
            return None, None
        try:
            return Painter(room.snapshot(), who), None
        except Exception as err:
            return None, readable(err, L)

    painter, paint_error = solara.use_memo(make_painter, dependencies=[reset_count, who, id(room)])

    def draw() -> tuple[Any, bytes | None, list[str], str | None]:
        if room is None or painter is None:
            return None, None, [], None
        try:
            snap = room.snapshot()
            charts = [panel_svg(k, snap.history, previous.value, snap.steps, L, who) for k in shown]
            return snap, painter.draw(snap), charts, None
        except Exception as err:
            return None, None, [], readable(err, L)

    snap, net_image, charts, draw_error = solara.use_memo(
        draw, dependencies=[tick, painter, L, tuple(shown), previous.value]
    )
    with solara.Column(gap="2px"):
        with solara.Div():  # fixed slots keep the pictures' widgets in place when a message appears
            if paint_error or draw_error:
                solara.Error(paint_error or draw_error, classes=["kopsim-error"])
        if snap is None:
            return
        status, data = _status(
            snap,
            L,
            {"speed": speed.value, "panels": shown, "selected": selected.value, "previous": previous.value is not None},
        )
        solara.Text(status, classes=["kopsim-month"], style={"font-weight": "600"})
        solara.ProgressLinear(100.0 * snap.month / max(snap.steps, 1))
        with solara.Div():
            if snap.month >= snap.steps:
                solara.Info(text("finished", L), dense=True)
        with solara.Columns([1, 1], gutters_dense=True):
            with solara.Column(gap="4px"):
                NetworkPicture(L, room, snap, net_image, reset_count, selected, error)
                Legend(L, who)
                Inspect(L, room, selected, tick)
            with solara.Column(gap="4px", classes=["kopsim-charts"]):
                VariableChoice(L, panels)
                for key, svg in zip(shown, charts, strict=True):
                    solara.HTML(unsafe_innerHTML=svg, classes=["kopsim-chart-box", f"kopsim-box-{key}"])
                if previous.value is not None:
                    solara.Text(text("previous_note", L), classes=["kopsim-previous-note"])
        solara.Text(data, classes=["kopsim-data"], style={"display": "none"})


@solara.component
def NetworkPicture(
    L: str,
    room: Classroom | None,
    snap: Any,
    image: bytes | None,
    reset_count: int,
    selected: solara.Reactive[int | None],
    error: solara.Reactive[str | None],
) -> None:
    """The network picture with the clickable overlay: a click on a dot inspects that actor."""
    overlay = solara.use_memo(lambda: overlay_svg(snap, L, selected.value), [reset_count, L, selected.value])

    def on_click(widget: Any, event: str, data: Any) -> None:
        # the browser reports the clicked element's id: "kopsim-agent-<index>" for a dot, else nothing to do
        target = (data or {}).get("target") or {}
        ident = target.get("id", "") if isinstance(target, dict) else ""
        if isinstance(ident, str) and ident.startswith("kopsim-agent-") and ident[13:].isdigit():
            index = int(ident[13:])
            if room is not None and 0 <= index < room.model.state.n:
                selected.set(None if selected.value == index else index)
            else:
                error.set(readable(AppError(f"actor {ident[13:]}: no such actor"), L))

    title = text("network_title", L, month=snap.month)
    solara.Text(title, classes=["kopsim-network-title"], style={"font-weight": "600"})
    box = solara.v.Html(
        tag="div",
        class_="kopsim-network-box",
        style_="position: relative; line-height: 0",
        children=[
            solara.Image(image, format="jpeg", width="100%", classes=["kopsim-network"]),
            solara.HTML(unsafe_innerHTML=overlay, classes=["kopsim-overlay-box"]),
        ],
    )
    solara.v.use_event(box, "click", on_click)


@solara.component
def Legend(L: str, target: str) -> None:
    """The network's key (HTML, so it is as large as the page's text): dot colour, size, shapes, tie lines."""

    def build() -> str:
        from matplotlib import colormaps

        cmap = colormaps[TRUST_CMAP]
        stops = ", ".join(
            "#{:02x}{:02x}{:02x}".format(*(int(255 * c) for c in cmap(f)[:3])) for f in np.linspace(0, 1, 6)
        )
        roles = " ".join(
            f'<span class="kopsim-key">{MARKER_GLYPHS[MARKERS[r]]} {escape(text(k, L))}</span>'
            for r, k in ROLE_KEYS.items()
        )
        layers = " ".join(
            f'<span class="kopsim-key"><span class="kopsim-swatch" style="border-top: 4px '
            f'{"solid" if k == net.BONDING else "dashed" if k == net.BRIDGING else "dotted"} {LAYER_COLOURS[k]}">'
            f"</span> {escape(outcome_label(f'ties_{name}', L, short=True))}</span>"
            for k, name in enumerate(net.LAYER_NAMES)
        )
        trust = escape(text("trust_axis", L, target=text(f"trust_{target}", L)))
        return (
            f'<div><span class="kopsim-key">{trust}: 0 <span class="kopsim-gradient" '
            f'style="background: linear-gradient(to right, {stops})"></span> 1</span></div>'
            f"<div>{roles}</div><div>{layers}</div><div>{escape(text('size_note', L))}</div>"
        )

    solara.HTML(unsafe_innerHTML=solara.use_memo(build, [L, target]), classes=["kopsim-legend"])


@solara.component
def Inspect(L: str, room: Classroom | None, selected: solara.Reactive[int | None], tick: int) -> None:
    """The inspected actor: role, village, membership, trust, participation, ties, and its history."""
    index = selected.value
    if room is None or index is None:
        solara.Text(text("inspect_hint", L), classes=["kopsim-inspect-hint"])
        return
    try:
        a = room.agent(index)
    except Exception as err:
        solara.Error(readable(err, L), classes=["kopsim-error"])
        return
    role = text(ROLE_KEYS.get(a.role, "agency"), L)
    head = (
        text("inspect_title", L, n=a.index, role=role, village=a.village + 1)
        if a.village >= 0
        else text("inspect_region", L, n=a.index, role=role)
    )
    status = text("status_board" if a.board else "status_member" if a.member else "status_outsider", L)
    f = {"peer": a.trust[0], "board": a.trust[1], "institution": a.trust[2]}
    lines = [
        f"{head} — {status}",
        text("inspect_trust", L, **{k: _number(round(v, 2), L) for k, v in f.items()}),
        text(
            "inspect_participation",
            L,
            **{
                k: _number(round(float(v), 2), L)
                for k, v in zip(("organisation", "business", "capital"), a.participation, strict=True)
            },
        ),
        text("inspect_ties", L, bonding=int(a.ties[0]), bridging=int(a.ties[1]), linking=int(a.ties[2])),
    ]
    history = line_chart(
        text("inspect_history", L, n=a.index),
        [
            (text("trust_institution", L), SERIES[0], a.trust_history[:, 2]),
            (text("trust_board", L), SERIES[1], a.trust_history[:, 1]),
            (text("trust_peer", L), SERIES[2], a.trust_history[:, 0]),
            (text("participation_mean", L), SERIES[3], a.participation_history),
        ],
        steps=room.steps,
        lang=L,
        bounded=True,
        css="kopsim-agent-history",
    )
    with solara.Card(margin=0, style={"padding": "8px"}, classes=["kopsim-inspect"]):
        for k, line in enumerate(lines):
            solara.Text(line, style={"display": "block", "font-weight": "600" if k == 0 else "400"})
        solara.HTML(unsafe_innerHTML=history, classes=["kopsim-chart-box"])
        solara.Button(
            text("inspect_close", L), on_click=lambda: selected.set(None), text=True, classes=["kopsim-inspect-close"]
        )


@solara.component
def VariableChoice(L: str, panels: solara.Reactive[list[str]]) -> None:
    """Which charts are shown (at most MAX_PANELS, so they fit beside the network)."""
    items = [{"text": panel_name(k, L), "value": k} for k in PANELS]

    def choose(values: list[str]) -> None:
        chosen = [v for v in values if v in PANELS][-MAX_PANELS:]  # the newest choices win
        panels.set(chosen or list(DEFAULT_PANELS[:1]))

    with solara.Div(classes=["kopsim-variables"]):
        solara.v.Select(
            label=text("variables", L),
            items=items,
            v_model=panels.value,
            on_v_model=choose,
            multiple=True,
            dense=True,
            hide_details=True,
            menu_props={"auto": True},  # every item in the menu (Vuetify otherwise renders only the first 20)
        )


def _status(snap: Any, L: str, extra: dict[str, Any]) -> tuple[str, str]:
    """The status line and the JSON data element (NaN, e.g. no members left, must not fail)."""
    try:
        members, trust = snap.last("members"), snap.last("trust_institution_mean")
        status = text("month", L, month=snap.month, steps=snap.steps)
        status += (
            f" · {0 if members != members else int(members)} {outcome_label('members', L, short=True)} · "
            f"{outcome_label('trust_institution_mean', L, short=True)} {_number(round(trust, 2), L)}"
        )
        return status, json.dumps({**snap.data(), **extra})
    except Exception as err:
        return readable(err, L), "{}"


def _labelled(label: str, value: Any, css: str) -> None:
    solara.Text(f"{label}: {value}", classes=[f"{css}-label", "kopsim-control-label"])


def _slider(
    css: str, label: str, value: int, bounds: tuple[int, int], step: int, on_value: Any, note: str, L: str
) -> None:
    """A labelled whole-number slider with its note on how fast its effect shows."""
    with solara.Div(classes=[css]):
        _labelled(label, value, css)
        solara.SliderInt("", value=value, min=bounds[0], max=bounds[1], step=step, on_value=on_value)
        _note(note, L)


def panel_name(key: str, L: str) -> str:
    """A chart's name in the menu of plotted variables (its title without the unit)."""
    return text(f"panel_{key}", L, target="…").split(" (")[0]


def _note(key: str, L: str) -> None:
    """How fast a control's effect shows, naming the charts where it shows (by their names in the menu)."""
    names = {k: panel_name(k, L) for k in PANELS}
    solara.Text(text(key, L, **names), classes=["kopsim-note", f"kopsim-{key.replace('_', '-')}"])


@solara.component
def Controls(
    L: str,
    room_ref: Any,
    draft: solara.Reactive[Settings],
    resets: solara.Reactive[int],
    target: solara.Reactive[str],
    panels: solara.Reactive[list[str]],
) -> None:
    """Scenario, colouring, seed, class size and the intervention sliders, each with a note on how fast its
    effect shows (re-rendered only when they change). Switching an intervention on also shows the chart
    where its effect shows first (:data:`SLIDER_CHARTS`), so the class sees it without looking for it."""
    _ = resets.value  # re-render after a reset: the applied settings changed
    room: Classroom | None = room_ref.current
    d = draft.value

    def set_field(name: str) -> Callable[[Any], None]:
        def setter(value: Any) -> None:
            draft.set(replace(draft.value, **{name: value}))
            chart = SLIDER_CHARTS.get(name)
            if chart and value and chart not in panels.value:  # the last chart makes room, the first ones stay
                shown = panels.value if len(panels.value) < MAX_PANELS else panels.value[: MAX_PANELS - 1]
                panels.set([*shown, chart])

        return setter

    try:  # everything that could fail, before any element is built
        names = [text(f"trust_{t}", L) for t in TRUST_TARGETS]
        shown_target = text(f"trust_{target.value}", L)
        scenarios_list = scenario_names()
        if d.scenario not in scenarios_list:  # a scenario file given on the command line
            scenarios_list = [d.scenario, *scenarios_list]
        line = (
            ""
            if room is None
            else (
                f"{room.scenario.name}: {room.scenario.describe(L)} — "
                + text("agents", L, n=room.model.state.n)
                + ". "
                + room.settings.describe(L)
            )
        )
        pending = room is not None and d != room.settings
        problem = None
    except Exception as err:
        names, shown_target, scenarios_list, line, pending = [], "", [d.scenario], "", False
        problem = readable(err, L)

    with solara.Column(gap="4px", classes=["kopsim-settings"]):
        with solara.Div():
            if problem:
                solara.Error(problem, classes=["kopsim-error"])
        with solara.Div(classes=["kopsim-scenario"]):
            solara.v.Select(
                label=text("scenario", L),
                items=scenarios_list,
                v_model=d.scenario,
                on_v_model=set_field("scenario"),
                dense=True,
                hide_details=True,
                menu_props={"auto": True},  # all 22 scenarios (Vuetify otherwise renders only the first 20)
            )
        solara.Text(line, classes=["kopsim-scenario-line"])
        with solara.Div(classes=["kopsim-trust-target"]):
            if names:
                solara.v.Select(
                    label=text("colour_by", L),
                    items=names,
                    v_model=shown_target,
                    on_v_model=lambda v: target.set(TRUST_TARGETS[names.index(v)]) if v in names else None,
                    dense=True,
                    hide_details=True,
                )
        with solara.Div():  # a fixed slot: inserting the warning must not shift (and rebuild) the sliders
            if pending:
                solara.Warning(text("pending", L), dense=True, classes=["kopsim-pending"])
        with solara.Div(classes=["kopsim-seed"]):
            solara.InputInt(
                text("seed", L), value=d.seed if d.seed is not None else 0, on_value=set_field("seed"), dense=True
            )
        _slider(
            "kopsim-households",
            text("households", L),
            d.households,
            HOUSEHOLDS_RANGE,
            10,
            set_field("households"),
            "note_households",
            L,
        )
        solara.Text(text("interventions", L), style={"font-weight": "600"})
        _slider(
            "kopsim-training-quota",
            text("training_quota", L),
            d.training_quota,
            QUOTA_RANGE,
            1,
            set_field("training_quota"),
            "note_training",
            L,
        )
        with solara.Div(classes=["kopsim-follow-up"]):
            solara.Switch(
                label=text("follow_up", L),
                value=d.training_follow_up,
                on_value=set_field("training_follow_up"),
                disabled=d.training_quota == 0,
            )
            _note("note_follow_up", L)
        with solara.Div(classes=["kopsim-kemitraan"]):
            solara.Switch(label=text("kemitraan", L), value=d.kemitraan, on_value=set_field("kemitraan"))
            _note("note_kemitraan", L)
        with solara.Div(classes=["kopsim-association"]):
            solara.Switch(
                label=text("association", L),
                value=d.association,
                on_value=set_field("association"),
                disabled=not d.kemitraan,
            )
            _note("note_association", L)
        _slider("kopsim-grant", text("grant", L), d.grant, GRANT_RANGE, 25, set_field("grant"), "note_grant", L)
        with solara.Div(classes=["kopsim-village"]):
            solara.Switch(
                label=text("village", L), value=d.village_engagement, on_value=set_field("village_engagement")
            )
            _note("note_village", L)
        _slider(
            "kopsim-harvest",
            text("harvest", L),
            d.harvest_loss,
            HARVEST_LOSS_RANGE,
            10,
            set_field("harvest_loss"),
            "note_harvest",
            L,
        )


# Projector legibility: every text at least 16 px, in one rule (Vuetify's buttons, chips, dense lists and
# hints are 12-14 px). SVG text is sized by its own viewBox (see charts.py) and icons keep their size.
CSS = """
.v-application *:not(.v-icon):not(svg):not(svg *) { font-size: max(16px, 1em) !important; }
.v-application h2.kopsim-title.kopsim-title { font-size: 24px !important; margin: 2px 0; font-weight: 500; }
.kopsim-page .v-btn { text-transform: none; letter-spacing: normal; }
.v-application .v-label--active { transform: translateY(-22px) scale(1) !important; }
.kopsim-page .v-select, .kopsim-page .v-text-field { padding-top: 16px !important; margin-top: 2px !important; }
.kopsim-control-label { color: #222; display: block; margin-top: 4px; }
.kopsim-note { color: #444; display: block; line-height: 1.25; margin: -6px 0 4px 0; }
.kopsim-scenario-line { color: #333; display: block; line-height: 1.25; }
.kopsim-settings { max-height: calc(100vh - 120px); overflow-y: auto; padding-right: 6px; }
.kopsim-settings .v-input--selection-controls { margin-top: 0 !important; padding-top: 0 !important; }
.kopsim-settings .v-messages { display: none; }
.kopsim-settings .v-slider { margin-top: 0; margin-bottom: 0; }
.kopsim-network-box { cursor: pointer; }
.kopsim-network img, img.kopsim-network { width: 100%; display: block; }
.kopsim-overlay-box { position: absolute; inset: 0; }
.kopsim-overlay { width: 100%; height: 100%; display: block; }
.kopsim-chart-box svg { display: block; max-width: 480px; }
.kopsim-legend { line-height: 1.35; }
.kopsim-key { white-space: nowrap; margin-right: 10px; }
.kopsim-swatch { display: inline-block; width: 26px; height: 0; vertical-align: middle; }
.kopsim-gradient { display: inline-block; width: 90px; height: 14px; vertical-align: middle; border: 1px solid #555; }
.kopsim-previous-note { color: #444; }
.kopsim-inspect, .kopsim-inspect .v-card__text { color: #111 !important; }
"""
