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

Stable CSS classes for tests: ``kopsim-step``, ``kopsim-run``, ``kopsim-reset`` (buttons),
``kopsim-month`` (status line), ``kopsim-data`` (hidden JSON of the month and the charts'
latest values), ``kopsim-network`` / ``kopsim-charts`` (the pictures), ``kopsim-error``,
``kopsim-pending``, and ``kopsim-<control>`` around each control (e.g. ``kopsim-training-quota``).
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import solara

from ..labels import outcome_label
from ..parameters import ParameterError
from ..scenario import ScenarioError
from .labels import DEFAULT_LANGUAGE, LANGUAGES, text
from .pictures import Painter
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

RUN_PAUSE_SECONDS = 0.1  # pause between months while running, so the class can follow
TRUST_TARGETS = ("institution", "board", "peer")
_VERSIONS = itertools.count(1)  # monotonic and thread-safe: every change of a model gets a new number


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
        new = Classroom(draft.value)  # AppError: shown, and the old model stays
        room_ref.current = new
        draft.set(new.settings)
        finished.set(new.finished)
        resets.set(resets.value + 1)
        version.set(next(_VERSIONS))

    def toggle_run() -> None:
        room = room_ref.current
        running.set(not running.value and room is not None and not room.finished)

    def run_loop(cancel: threading.Event) -> None:
        """While running: a month, a redraw, a short pause. Stopped between months only (never
        inside a step) when Pause or Reset changes the dependencies."""
        room = room_ref.current
        if not running.value or room is None:
            return
        try:
            while not cancel.is_set() and running.value:
                if room.step() == 0:
                    break
                version.set(next(_VERSIONS))
                cancel.wait(RUN_PAUSE_SECONDS)
        except Exception as err:
            error.set(readable(err, lang.value))
        finally:
            if not cancel.is_set():  # ran to the end (or failed): show Run again
                running.set(False)
            if room is room_ref.current:  # after a reset, the new model's state counts
                finished.set(room.finished)

    solara.use_thread(run_loop, dependencies=[running.value, resets.value], intrusive_cancel=False)

    with solara.Column(style={"padding": "6px 18px"}, gap="6px"):
        with solara.Row(justify="space-between", style={"align-items": "center", "flex-wrap": "wrap"}):
            solara.HTML(
                tag="h2",
                unsafe_innerHTML=text("title", L),
                classes=["kopsim-title"],
                style="margin: 4px 0; font-weight: 500",
            )
            with solara.Row(style={"align-items": "center"}, gap="6px"):
                solara.Text(text("language", L) + ":")
                with solara.ToggleButtonsSingle(value=lang, dense=True, classes=["kopsim-language"]):
                    solara.Button("Bahasa Indonesia", value="id", classes=["kopsim-lang-id"])
                    solara.Button("English", value="en", classes=["kopsim-lang-en"])
        solara.Text(text("intro", L), style={"color": "#444"})
        ErrorBanner(error)
        with solara.Columns([4, 13], gutters_dense=True):
            Controls(
                L,
                room_ref,
                draft,
                running,
                finished,
                resets,
                target,
                guard(do_step),
                guard(toggle_run),
                guard(do_reset),
            )
            LiveView(L, room_ref, version, resets, target)


@solara.component
def ErrorBanner(error: solara.Reactive[str | None]) -> None:
    if error.value:
        solara.Error(error.value, classes=["kopsim-error"])


@solara.component
def LiveView(
    L: str, room_ref: Any, version: solara.Reactive[int], resets: solara.Reactive[int], target: solara.Reactive[str]
) -> None:
    """The status line, the network and the charts: re-rendered after every month."""
    room: Classroom | None = room_ref.current
    tick, reset_count, who = version.value, resets.value, target.value

    def make_painter() -> tuple[Painter | None, str | None]:
        if room is None:
            return None, None
        try:
            return Painter(room.snapshot(), L, who), None
        except Exception as err:
            return None, readable(err, L)

    painter, paint_error = solara.use_memo(make_painter, dependencies=[reset_count, L, who, id(room)])

    def draw() -> tuple[Any, bytes | None, bytes | None, str | None]:
        if room is None or painter is None:
            return None, None, None, None
        try:
            snap = room.snapshot()
            net, charts = painter.draw(snap)
            return snap, net, charts, None
        except Exception as err:
            return None, None, None, readable(err, L)

    snap, net_image, charts_image, draw_error = solara.use_memo(draw, dependencies=[tick, painter])
    with solara.Column(gap="2px"):
        with solara.Div():  # fixed slots keep the pictures' widgets in place when a message appears
            if paint_error or draw_error:
                solara.Error(paint_error or draw_error, classes=["kopsim-error"])
        if snap is None:
            return
        status, data = _status(snap, L)
        solara.Text(status, classes=["kopsim-month"], style={"font-weight": "600", "font-size": "1.05em"})
        solara.ProgressLinear(100.0 * snap.month / max(snap.steps, 1))
        with solara.Div():
            if snap.month >= snap.steps:
                solara.Info(text("finished", L), dense=True)
        with solara.Columns([6, 5], gutters_dense=True):
            solara.Image(net_image, format="jpeg", width="100%", classes=["kopsim-network"])
            solara.Image(charts_image, format="jpeg", width="100%", classes=["kopsim-charts"])
        solara.Text(data, classes=["kopsim-data"], style={"display": "none"})


def _status(snap: Any, L: str) -> tuple[str, str]:
    """The status line and the JSON data element (NaN, e.g. no members left, must not fail)."""
    try:
        members, trust = snap.last("members"), snap.last("trust_institution_mean")
        status = text("month", L, month=snap.month, steps=snap.steps)
        status += (
            f" · {0 if members != members else int(members)} {outcome_label('members', L, short=True)} · "
            f"{outcome_label('trust_institution_mean', L, short=True)} {trust:.2f}"
        )
        return status, json.dumps(snap.data())
    except Exception as err:
        return readable(err, L), "{}"


def _labelled(label: str, value: Any, css: str) -> None:
    solara.Text(f"{label}: {value}", classes=[f"{css}-label", "kopsim-control-label"])


@solara.component
def Controls(
    L: str,
    room_ref: Any,
    draft: solara.Reactive[Settings],
    running: solara.Reactive[bool],
    finished: solara.Reactive[bool],
    resets: solara.Reactive[int],
    target: solara.Reactive[str],
    on_step: Callable[[], None],
    on_run: Callable[[], None],
    on_reset: Callable[[], None],
) -> None:
    """Run buttons, scenario and seed, and the intervention sliders (re-rendered only when they change)."""
    _ = resets.value  # re-render after a reset: the applied settings changed
    room: Classroom | None = room_ref.current
    d = draft.value
    is_running, is_finished = running.value, finished.value or room is None

    def set_field(name: str) -> Callable[[Any], None]:
        def setter(value: Any) -> None:
            draft.set(replace(draft.value, **{name: value}))

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
                f"{room.scenario.name}: {room.scenario.description} — "
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

    with solara.Column(gap="6px"):
        with solara.Card(margin=0, style={"padding": "10px"}):
            with solara.Row(gap="6px", style={"flex-wrap": "wrap"}):
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
                    text("reset", L),
                    icon_name="mdi-restore",
                    on_click=on_reset,
                    outlined=True,
                    classes=["kopsim-reset"],
                )
            with solara.Div(classes=["kopsim-trust-target"], style={"margin-top": "14px"}):
                if names:
                    solara.Select(
                        text("colour_by", L),
                        values=names,
                        value=shown_target,
                        on_value=lambda v: target.set(TRUST_TARGETS[names.index(v)]),
                        dense=True,
                    )
            with solara.Div():
                if problem:
                    solara.Error(problem, classes=["kopsim-error"])
            solara.Text(line, style={"font-size": "0.85em", "color": "#555"}, classes=["kopsim-scenario-line"])
        with solara.Card(margin=0, style={"padding": "10px"}):
            solara.Text(text("settings", L), style={"font-weight": "600"})
            with solara.Div():  # a fixed slot: inserting the warning must not shift (and rebuild) the sliders
                if pending:
                    solara.Warning(text("pending", L), dense=True, classes=["kopsim-pending"])
            with solara.Div(classes=["kopsim-scenario"], style={"margin-top": "8px"}):
                solara.Select(
                    text("scenario", L),
                    values=scenarios_list,
                    value=d.scenario,
                    on_value=set_field("scenario"),
                    dense=True,
                )
            with solara.Div(classes=["kopsim-seed"]):
                solara.InputInt(
                    text("seed", L), value=d.seed if d.seed is not None else 0, on_value=set_field("seed"), dense=True
                )
            with solara.Div(classes=["kopsim-households"]):
                _labelled(text("households", L), d.households, "kopsim-households")
                solara.SliderInt(
                    "",
                    value=d.households,
                    min=HOUSEHOLDS_RANGE[0],
                    max=HOUSEHOLDS_RANGE[1],
                    step=10,
                    on_value=set_field("households"),
                )
            solara.Text(text("interventions", L), style={"font-weight": "600", "margin-top": "10px"})
            with solara.Div(classes=["kopsim-training-quota"]):
                _labelled(text("training_quota", L), d.training_quota, "kopsim-training-quota")
                solara.SliderInt(
                    "",
                    value=d.training_quota,
                    min=QUOTA_RANGE[0],
                    max=QUOTA_RANGE[1],
                    step=1,
                    on_value=set_field("training_quota"),
                )
            with solara.Div(classes=["kopsim-follow-up"]):
                solara.Switch(
                    label=text("follow_up", L),
                    value=d.training_follow_up,
                    on_value=set_field("training_follow_up"),
                    disabled=d.training_quota == 0,
                )
            with solara.Div(classes=["kopsim-kemitraan"]):
                solara.Switch(label=text("kemitraan", L), value=d.kemitraan, on_value=set_field("kemitraan"))
            with solara.Div(classes=["kopsim-association"]):
                solara.Switch(
                    label=text("association", L),
                    value=d.association,
                    on_value=set_field("association"),
                    disabled=not d.kemitraan,
                )
            with solara.Div(classes=["kopsim-grant"]):
                _labelled(text("grant", L), d.grant, "kopsim-grant")
                solara.SliderInt(
                    "", value=d.grant, min=GRANT_RANGE[0], max=GRANT_RANGE[1], step=25, on_value=set_field("grant")
                )
            with solara.Div(classes=["kopsim-village"]):
                solara.Switch(
                    label=text("village", L), value=d.village_engagement, on_value=set_field("village_engagement")
                )
            with solara.Div(classes=["kopsim-harvest"]):
                _labelled(text("harvest", L), d.harvest_loss, "kopsim-harvest")
                solara.SliderInt(
                    "",
                    value=d.harvest_loss,
                    min=HARVEST_LOSS_RANGE[0],
                    max=HARVEST_LOSS_RANGE[1],
                    step=10,
                    on_value=set_field("harvest_loss"),
                )


CSS = """
.kopsim-control-label { font-size: 0.9em; color: #333; display: block; margin-top: 6px; }
.kopsim-network img, img.kopsim-network, .kopsim-charts img, img.kopsim-charts { max-width: 100%; }
.v-input--switch { margin-top: 4px !important; }
.v-input--switch .v-label { font-size: 0.9em; }
"""
