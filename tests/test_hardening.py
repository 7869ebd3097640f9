"""Input a careless user or an attacker might give: one line and exit 2, never a hang or a traceback."""

from __future__ import annotations

import json
import os

import pytest

from kopsim.experiments import cli
from kopsim.experiments.store import Store

TINY = (
    '[scenario]\nname = "tiny"\nsteps = 2\n[parameters.population]\nhouseholds_per_village = 30\n'
    "members_per_cooperative = 20\n[parameters.metrics]\nnetwork_every = 0\ncentrality_every = 0\n"
)


def one_line(args: list[str], capsys: pytest.CaptureFixture[str], code: int = 2) -> str:
    capsys.readouterr()
    try:
        got = cli.main(args)
    except SystemExit as exc:
        got = exc.code
    err = capsys.readouterr().err
    assert got == code, err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("kopsim: error:"), err
    assert "Traceback" not in err
    return lines[0]


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_device_files_are_refused_at_once(tmp_path, capsys, device):
    if not os.path.exists(device):
        pytest.skip(f"{device} missing")
    z = tmp_path / "z.toml"
    z.write_text(f'extends = "{device}"\n', encoding="utf-8")
    assert "not a regular file" in one_line(["validate", str(z)], capsys)
    assert device in one_line(["sweep", device], capsys)


def test_large_file_is_refused(tmp_path, capsys):
    big = tmp_path / "big.toml"
    big.write_text("# x\n" * 300_000, encoding="utf-8")
    assert "larger than the limit of 1048576 bytes" in one_line(["validate", str(big)], capsys)


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("[parameters.trust]\nloss_rate = " + "9" * 400 + "\n", "too large for a float"),
        ("[parameters.trust]\nloss_rate = " + "9" * 5000 + "\n", "not valid TOML"),
        ("[scenario]\nname = " + "[" * 1000 + "]" * 1000 + "\n", "nested too deeply"),
        ("", "empty scenario file"),
        ("# only a comment\n", "empty scenario file"),
        (
            "[parameters.population]\nhouseholds_per_village = 100\nmembers_per_cooperative = 60\n"
            "[parameters.skills]\ntraining_every_months = 12\ntraining_quota = 500\n",
            "skills.training_quota: 500 exceeds the households",
        ),
        (
            "[parameters.population]\nhouseholds_per_village = 100\nmembers_per_cooperative = 60\n"
            '[[interventions]]\nkind = "training"\nstart = 1\nquota = 500\n',
            "interventions[0].quota: 500 exceeds",
        ),
        (
            "[parameters.population]\nn_villages = 10000\nhouseholds_per_village = 20000\n",
            "exceeds the limit of 1,000,000",
        ),
    ],
)
def test_bad_scenarios_are_one_line(tmp_path, capsys, text, fragment):
    f = tmp_path / "bad.toml"
    f.write_text(text, encoding="utf-8")
    line = one_line(["validate", str(f)], capsys)
    assert fragment in line and "bad.toml" in line


def test_long_extends_chain_is_refused(tmp_path, capsys):
    for k in range(1200):
        (tmp_path / f"c{k}.toml").write_text(f'extends = "c{k + 1}.toml"\n', encoding="utf-8")
    (tmp_path / "c1200.toml").write_text("[scenario]\nsteps = 2\n", encoding="utf-8")
    assert "chain longer than 32 files" in one_line(["validate", str(tmp_path / "c0.toml")], capsys)


@pytest.mark.parametrize("value", ["9" * 400, "[" * 1000 + "]" * 1000, "9" * 5000])
def test_absurd_set_values_are_one_line(capsys, value):
    assert "trust.loss_rate" in one_line(["run", "--steps", "1", "--set", f"trust.loss_rate={value}"], capsys)


def test_validate_checks_every_file_after_an_unexpected_error(tmp_path, capsys, monkeypatch):
    from kopsim import scenario

    good = tmp_path / "good.toml"
    good.write_text(TINY, encoding="utf-8")
    real = scenario.load

    def flaky(item):
        if str(item).endswith("boom.toml"):
            raise RuntimeError("boom")
        return real(item)

    monkeypatch.setattr(scenario, "load", flaky)  # validate imports it when it runs
    capsys.readouterr()
    assert cli.main(["validate", str(tmp_path / "boom.toml"), str(good)]) == 1
    out, err = capsys.readouterr()
    assert "good.toml: ok" in out
    assert err.count("\n") == 1 and "internal error: RuntimeError: boom" in err and "please report" in err


def test_unexpected_errors_are_one_line_unless_debug(capsys, monkeypatch):
    from kopsim.experiments.cli import common

    def broken(_):
        raise ZeroDivisionError("oops")

    monkeypatch.setattr(common, "parse_override", broken)
    capsys.readouterr()
    code = cli.main(["run", "--steps", "1", "--quiet", "--set", "trust.loss_rate=0.3"])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and "ZeroDivisionError: oops" in err and "please report" in err
    with pytest.raises(ZeroDivisionError):
        cli.main(["--debug", "run", "--steps", "1", "--quiet", "--set", "trust.loss_rate=0.3"])


def test_os_error_without_a_file_name_has_a_subject(capsys, monkeypatch):
    from kopsim.experiments.cli import common

    def full(_):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(common, "parse_override", full)
    line = one_line(["run", "--steps", "1", "--set", "trust.loss_rate=0.3"], capsys)
    assert not line.startswith("kopsim: error: :") and "No space left on device" in line


def test_store_writes_name_their_file(tmp_path, monkeypatch):
    import pandas as pd

    from kopsim.experiments import store as store_mod

    def full(self, path, **kwargs):
        raise OSError("Error writing bytes to file. Detail: [errno 28] No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", full)
    with pytest.raises(OSError) as info:
        store_mod._atomic_write_parquet(tmp_path / "x.parquet", pd.DataFrame({"a": [1]}))
    assert info.value.filename == str(tmp_path / "x.parquet") and "No space left" in str(info.value)
    assert list(tmp_path.iterdir()) == []  # no temporary file left behind


@pytest.mark.parametrize(
    "text, fragment",
    [
        ('[experiment]\nscenarios = ["tiny.toml"]\nreplications = 100000000\n', "100,000,000 runs is more than"),
        (
            '[experiment]\nscenarios = ["tiny.toml"]\n[samples]\nn = 100000000\n"trust.loss_rate" = [0.1, 0.2]\n',
            "100,000,000 configurations is more than",
        ),
        (
            '[experiment]\nscenarios = ["tiny.toml"]\n[grid]\n'
            + "".join(
                f'"trust.{k}" = [{", ".join(str(i / 30) for i in range(30))}]\n'
                for k in ("loss_rate", "gain_rate", "fairness", "rule_clarity", "initial_peer", "initial_board")
            ),
            "729,000,000 configurations is more than the limit of 10,000",
        ),
        (
            '[experiment]\nscenarios = ["tiny.toml"]\n[grid]\n"trust.loss_rate" = [' + "9" * 400 + "]\n",
            "too large for a float",
        ),
    ],
)
def test_plans_too_large_are_refused_before_they_are_built(tmp_path, capsys, text, fragment):
    (tmp_path / "tiny.toml").write_text(TINY, encoding="utf-8")
    exp = tmp_path / "exp.toml"
    exp.write_text(text, encoding="utf-8")
    assert fragment in one_line(["sweep", str(exp), "--out", str(tmp_path / "o")], capsys)
    assert not (tmp_path / "o").exists()
    assert "100,000,000 runs" in one_line(
        ["compare", str(tmp_path / "tiny.toml"), "--replications", "100000000"], capsys
    )


@pytest.fixture
def results(tmp_path, capsys):
    (tmp_path / "tiny.toml").write_text(TINY, encoding="utf-8")
    out = tmp_path / "res"
    args = [
        "compare",
        str(tmp_path / "tiny.toml"),
        "--replications",
        "3",
        "--executor",
        "sequential",
        "--quiet",
        "--out",
        str(out),
    ]
    assert cli.main(args) == 0, capsys.readouterr().err
    return out, args


def test_corrupt_results_are_named_and_recomputed(results, capsys):
    out, args = results
    steps = sorted((out / "steps").glob("*.parquet"))
    steps[0].write_bytes(steps[0].read_bytes()[:200])  # truncated
    records = sorted((out / "runs").glob("*.json"))
    records[-1].write_text('{"run_id": ', encoding="utf-8")  # broken record
    for command in ("report", "export"):
        line = one_line([command, str(out)], capsys)
        assert str(steps[0]) in line and "corrupt step file" in line and "1 more" in line
    untouched = {p: p.stat().st_mtime_ns for p in (out / "runs").glob("*.json")}
    capsys.readouterr()
    assert cli.main(args) == 0
    redone = {p for p, t in untouched.items() if p.stat().st_mtime_ns != t}
    assert redone == {out / "runs" / f"{steps[0].stem}.json", records[-1]}  # exactly the corrupt runs
    assert cli.main(["export", str(out)]) == 0
    assert json.loads(records[-1].read_text())["status"] == "ok"


def test_a_second_writer_is_refused(results, capsys):
    out, args = results
    with Store(out).lock():  # flock conflicts between open files, in one process as between two
        line = one_line(args, capsys)
        assert "another kopsim process" in line and f"pid {os.getpid()}" in line
    capsys.readouterr()
    assert cli.main(args) == 0  # free again


def test_lock_on_a_new_directory_leaves_nothing_when_nothing_ran(tmp_path):
    target = tmp_path / "new"
    with Store(target).lock():
        assert (target / ".lock").exists()
    assert not target.exists()


def test_a_lock_file_does_not_make_a_directory_foreign(tmp_path):
    target = tmp_path / "d"
    target.mkdir()
    (target / ".lock").write_text("")
    assert Store(target).check({"fingerprint": "x"}) is False


# ---- the classroom server does not trust the browser (no Solara needed) -----------------------
@pytest.mark.parametrize(
    "changes, fragment",
    [
        ({"scenario": "../../../../etc/passwd"}, "no such scenario offered here"),
        ({"scenario": "/etc/hostname"}, "no such scenario offered here"),
        ({"households": 10**9}, "households: 1000000000 is outside"),
        ({"households": "many"}, "households: expected a whole number"),
        ({"seed": 2**80}, "seed: 1208925819614629174706176 is outside"),
        ({"seed": "1"}, "seed: expected a whole number"),
        ({"training_quota": 10_000}, "training_quota: 10000 is outside the allowed range 0..40"),
        ({"grant": -5}, "grant: -5 is outside"),
        ({"harvest_loss": 100}, "harvest_loss: 100 is outside"),
        ({"kemitraan": "yes"}, "kemitraan: expected true or false"),
    ],
)
def test_classroom_settings_from_the_browser_are_checked(changes, fragment):
    from dataclasses import replace

    from kopsim.app.session import AppError, Classroom, Settings

    with pytest.raises(AppError) as info:
        Classroom(replace(Settings(), **changes))
    assert str(info.value).startswith(next(iter(changes)) + ":")  # names the setting
    assert fragment in str(info.value)
    assert "root:" not in str(info.value)  # nothing of a file on the server leaks


def test_teacher_choices_are_accepted_within_the_class_size(tmp_path, monkeypatch):
    from kopsim.app import session
    from kopsim.app.session import AppError, Classroom, Settings

    monkeypatch.setattr(session, "_teacher_scenarios", set())
    monkeypatch.setattr(session, "_teacher_households", set())
    monkeypatch.delenv("KOPSIM_APP_SCENARIO", raising=False)
    monkeypatch.delenv("KOPSIM_APP_HOUSEHOLDS", raising=False)
    own = tmp_path / "own.toml"
    own.write_text(TINY, encoding="utf-8")
    with pytest.raises(AppError, match="no such scenario"):
        Classroom(Settings(scenario=str(own), households=0))
    session.allow_teacher_choice(str(own), 0)
    room = Classroom(Settings(scenario=str(own), households=0))  # the scenario's own 30 households
    assert room.model.state.n_households == 30
    session.allow_teacher_choice("prabumulih", 0)
    with pytest.raises(AppError, match="more than a classroom's limit of 2000"):
        Classroom(Settings(scenario="prabumulih", households=0))


def test_join_code_and_session_slots(monkeypatch):
    from kopsim.app.server import is_loopback, make_join_code
    from kopsim.app.session import JOIN_CODE_ENV, SessionSlots, check_join_code, join_code_required

    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5") and not is_loopback("::")
    monkeypatch.delenv(JOIN_CODE_ENV, raising=False)
    assert not join_code_required() and check_join_code("anything")
    code = make_join_code()
    assert len(code) == 6 and code != make_join_code()
    monkeypatch.setenv(JOIN_CODE_ENV, code)
    assert join_code_required()
    assert check_join_code(code) and check_join_code(f" {code} ")
    assert not check_join_code("") and not check_join_code(code[::-1] + "x") and not check_join_code(None)
    slots = SessionSlots(2)
    a, b, c = object(), object(), object()
    assert slots.acquire(a) and slots.acquire(a) and slots.acquire(b)
    assert not slots.acquire(c)  # full
    slots.release(a)
    assert slots.acquire(c) and slots.in_use == 2
