"""The classroom app (``kopsim app``): bad input, the session logic, and the page in real headless Chromium.

The browser test needs the optional extra ``app`` (Solara), Selenium, and Debian's
``chromium`` + ``chromium-driver``; it installs the last two with apt-get when they are
missing and the test runs as root (as in CI), and is skipped with the reason otherwise.
Set ``KOPSIM_APP_SCREENSHOT=path.png`` to also save the first browser test's screenshot there, and
``KOPSIM_APP_SCREENSHOT_DIR=docs`` to save the projector test's ``app-1024x768.png`` and
``app-1600x1000.png`` (the README's) there.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


def _app(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kopsim.app", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )


def _one_error_line(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 2, proc
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("kopsim: error: "), proc.stderr
    assert "Traceback" not in proc.stderr
    return lines[0]


# ---- bad input: one line, exit 2 ---------------------------------------------------------------
def test_unknown_scenario_is_one_line_exit_2():
    line = _one_error_line(_app("no_such_scenario", "--port", "0"))
    assert "no_such_scenario: no such scenario" in line


def test_port_in_use_is_one_line_exit_2():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        line = _one_error_line(_app("baseline", "--port", str(port)))
    assert f"port {port} on 127.0.0.1 is already in use" in line


@pytest.mark.parametrize("args", [["--port", "70000"], ["--port", "http"], ["--households", "-5"], ["--lang", "fr"]])
def test_bad_options_are_one_line_exit_2(args):
    _one_error_line(_app(*args))


def test_importing_the_cli_does_not_import_solara():
    code = (
        "import sys, kopsim, kopsim.experiments.cli, kopsim.app, kopsim.app.session, kopsim.app.pictures, "
        "kopsim.app.charts; "
        "assert 'solara' not in sys.modules, 'solara imported'"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=60)


# ---- the session behind the page (no browser) --------------------------------------------------
def test_labels_cover_both_languages():
    from kopsim.app.labels import LANGUAGES, TEXTS, text

    for key, entry in TEXTS.items():
        assert set(entry) == set(LANGUAGES), key
    assert text("month", "en", month=3, steps=120) == "Month 3 of 120"
    assert text("month", "id", month=3, steps=120) == "Bulan 3 dari 120"
    assert text("step", "xx") == text("step", "id")  # unknown language: Indonesian


def test_classroom_steps_and_sliders_change_the_run():
    from kopsim.app.session import Classroom, Settings

    base = Classroom(Settings())
    assert 280 <= base.model.state.n <= 320  # classroom size
    before = base.snapshot().data()
    assert base.step(3) == 3
    after = base.snapshot().data()
    assert after["month"] == 3 and before["month"] == 0
    assert after["participation_organisation"] != before["participation_organisation"]
    again = Classroom(Settings())
    again.step(3)
    assert again.snapshot().data() == after  # same settings, same run
    trained = Classroom(Settings(training_quota=10))
    trained.step(3)
    assert trained.snapshot().data() != after
    everything = Classroom(
        Settings(
            training_quota=5,
            training_follow_up=False,
            kemitraan=True,
            association=True,
            grant=100,
            village_engagement=True,
            harvest_loss=50,
        )
    )
    assert {iv.kind for iv in everything.model.interventions} >= {
        "training",
        "kemitraan",
        "grant",
        "village_engagement",
        "harvest_failure",
    }
    everything.step(12)
    assert everything.snapshot().month == 12


def test_classroom_errors_are_readable():
    from kopsim.app.session import AppError, Classroom, Settings

    with pytest.raises(AppError, match="no such scenario"):
        Classroom(Settings(scenario="no_such_scenario"))
    with pytest.raises(AppError, match="seed: -1 is negative"):
        Classroom(Settings(seed=-1))


def test_every_shipped_scenario_fits_a_classroom():
    from kopsim import scenarios
    from kopsim.app.session import Classroom, Settings

    for name in scenarios.available():
        room = Classroom(Settings(scenario=name))
        assert 250 <= room.model.state.n <= 360, name
        room.step(1)


def test_step_and_redraw_at_300_agents():
    """Stepping and redrawing work; their timing (median <= 200 ms) is `python -m benchmarks.app_step`."""
    from kopsim.app.charts import DEFAULT_PANELS, panel_svg
    from kopsim.app.pictures import DPI, FIG_WIDTH_IN, Painter
    from kopsim.app.session import Classroom, Settings

    room = Classroom(Settings())
    painter = Painter(room.snapshot())
    first = painter.draw(room.snapshot())
    for _ in range(3):
        room.step()
        snap = room.snapshot()
        net = painter.draw(snap)
        charts = [panel_svg(k, snap.history, None, snap.steps, "id") for k in DEFAULT_PANELS]
    assert net[:2] == b"\xff\xd8" and net != first  # a JPEG picture that changed
    assert all(svg.startswith("<svg") and svg.endswith("</svg>") for svg in charts)
    assert room.month == 3
    from PIL import Image

    with Image.open(__import__("io").BytesIO(net)) as img:
        assert img.width == round(FIG_WIDTH_IN * DPI) >= 700  # about twice its width on the page at 1024x768


def test_scenario_descriptions_in_both_languages(tmp_path):
    from kopsim import scenarios
    from kopsim.scenario import ScenarioError, load

    for name in scenarios.available():
        scen = load(name)
        assert scen.description_id and scen.description_id != scen.description, name
        assert scen.describe("id") == scen.description_id and scen.describe("en") == scen.description
    # a child that rewrites the English line does not inherit its parent's Indonesian one
    child = tmp_path / "child.toml"
    child.write_text(f'extends = "{scenarios.path("baseline")}"\n[scenario]\ndescription = "my own"\n')
    assert load(child).describe("id") == "my own"
    child.write_text(f'extends = "{scenarios.path("baseline")}"\n[scenario]\nname = "same words"\n')
    assert load(child).describe("id") == load("baseline").description_id
    child.write_text("[scenario]\ndescription_id = 3\n")
    with pytest.raises(ScenarioError, match=r"scenario\.description_id: expected str"):
        load(child)
    child.write_text(f'[scenario]\ndescription_id = "{"x" * 400}"\n')
    with pytest.raises(ScenarioError, match="one line of at most"):
        load(child)


def test_one_palette_for_report_and_page():
    from kopsim import palette
    from kopsim.app import charts
    from kopsim.experiments import figures
    from kopsim.network_picture import LAYER_STYLE, TRUST_CMAP

    assert figures.OKABE_ITO is palette.OKABE_ITO
    assert TRUST_CMAP == palette.TRUST_CMAP == "viridis"
    assert [c for c, _ in LAYER_STYLE.values()] == list(palette.LAYER_COLOURS)
    allowed = {*palette.OKABE_ITO, palette.GREY}
    for key, panel in charts.PANELS.items():
        assert set(panel.colours) <= allowed, key
        assert len(set(panel.colours)) == len(panel.colours), key  # the lines of one chart differ in colour


def test_charts_are_svg_with_large_text_and_the_previous_run_faint():
    import re as _re

    from kopsim.app.charts import FONT, PANELS, WIDTH, panel_columns, panel_svg
    from kopsim.app.session import Classroom, Settings
    from kopsim.palette import PREVIOUS_RUN_OPACITY

    old = Classroom(Settings())
    old.step(6)
    room = Classroom(Settings(training_quota=20))
    room.step(2)
    snap = room.snapshot()
    for key in PANELS:
        for col in panel_columns(key, "board"):
            assert col in snap.history, (key, col)  # every plotted variable is a collected column
        svg = panel_svg(key, snap.history, old.history(), snap.steps, "en", "board")
        assert f'font-size="{FONT}"' in svg and FONT >= 16 and WIDTH <= 360  # >= 16 px when shown >= WIDTH px wide
        current = _re.findall(r'<polyline class="kopsim-series" points="([^"]*)"', svg)
        faint = _re.findall(r'<polyline class="kopsim-previous" points="([^"]*)"[^>]*opacity="([0-9.]+)"', svg)
        # one point per month with a value (a rate has none in month 0): months 0..2 now, 0..6 before
        assert current and max(len(pts.split()) for pts in current) == 3, key
        assert faint and max(len(pts.split()) for pts, _ in faint) == 7, key
        assert all(float(op) == PREVIOUS_RUN_OPACITY < 0.5 for _, op in faint), key
    assert "kopsim-previous" not in panel_svg("members", snap.history, None, snap.steps, "en")
    assert ">0,5<" in panel_svg("participation", snap.history, None, snap.steps, "id")  # Indonesian decimal comma


def test_inspecting_an_agent():
    from kopsim.app.session import AppError, Classroom, Settings

    room = Classroom(Settings())
    room.step(4)
    s = room.model.state
    i = int(np.flatnonzero(s.member[: s.n_households])[0])
    a = room.agent(i)
    assert a.member and a.village >= 0
    assert np.allclose(a.trust, s.trust[i]) and np.allclose(a.participation, s.participation[i])
    ties = room.model.ties
    assert int(a.ties.sum()) == int(((ties.a == i) | (ties.b == i)).sum())
    assert a.trust_history.shape == (5, 3) and a.participation_history.shape == (5,)
    assert np.allclose(a.trust_history[-1], s.trust[i], atol=1e-3)  # kept as float16
    for bad in (-1, s.n, "3", True):
        with pytest.raises(AppError, match="no such actor"):
            room.agent(bad)


def test_each_intervention_note_names_the_chart_it_opens():
    pytest.importorskip("solara")
    from kopsim.app.charts import PANELS
    from kopsim.app.labels import text
    from kopsim.app.page import SLIDER_CHARTS, panel_name

    notes = {
        "training_quota": "note_training",
        "training_follow_up": "note_follow_up",
        "kemitraan": "note_kemitraan",
        "association": "note_association",
        "grant": "note_grant",
        "village_engagement": "note_village",
        "harvest_loss": "note_harvest",
    }
    assert set(SLIDER_CHARTS) == set(notes)
    for field, chart in SLIDER_CHARTS.items():
        for lang in ("id", "en"):
            note = text(notes[field], lang, **{k: panel_name(k, lang) for k in PANELS})
            assert f"«{panel_name(chart, lang)}»" in note, (field, lang, note)


def test_slider_notes_are_true():
    """Each intervention's note on the page says where and when its effect shows; the runs agree."""
    from kopsim.app.session import Classroom, Settings

    def run(months: int, **settings) -> dict:
        room = Classroom(Settings(**settings))
        room.step(months)
        return room.history()

    base = run(24)
    trained = run(24, training_quota=40)
    assert trained["ties_linking"][1] > base["ties_linking"][1] + 20  # "linking ties ... jump in month 1"
    assert trained["skill_members"][1] > base["skill_members"][1] + 0.1  # "members' skill jump in month 1"
    for col in ("trust_institution_mean", "participation_organisation"):  # "hardly move"
        assert abs(trained[col][24] - base[col][24]) < 0.03, col
    unfollowed = run(13, training_quota=40, training_follow_up=False)
    assert unfollowed["skill_members"][12] < trained["skill_members"][12] - 0.03  # "clear after about a year"
    assert unfollowed["skill_members"][8] < unfollowed["skill_members"][1]  # "fade within months"
    partners = run(7, kemitraan=True)
    assert base["partner_ties"][3] == 0 < partners["partner_ties"][3]  # "partnership ties appear in month 3"
    associated = run(7, kemitraan=True, association=True)
    assert associated["partner_ties_in_contact"][6] > partners["partner_ties_in_contact"][6]
    granted = run(8, grant=300)
    assert granted["coop_loans_outstanding"][6] > base["coop_loans_outstanding"][6]  # "rises from month 6"
    assert granted["coop_loans_outstanding"][8] > 1.1 * base["coop_loans_outstanding"][8]  # "clearly by month 8"
    engaged = run(3, village_engagement=True)
    assert engaged["information_reach_needy"][1] > base["information_reach_needy"][1] + 0.02  # "from month 1"
    assert engaged["information_reach_needy"][3] > base["information_reach_needy"][3] + 0.05
    shocked = run(6, harvest_loss=90)
    assert shocked["household_income_mean"][6] < 0.85 * base["household_income_mean"][6]  # "drops in months 6-11"


# ---- the page in headless Chromium --------------------------------------------------------------
def _ensure_chromium() -> None:
    if os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER):
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        pytest.skip(
            "Chromium and chromedriver are missing and apt-get is not available as root "
            "(install Debian's chromium and chromium-driver)"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    cmd = ["apt-get", "install", "-y", "-q", "chromium", "chromium-driver"]
    if subprocess.run(cmd, env=env, capture_output=True).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True)
        done = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"apt-get could not install chromium chromium-driver: {done.stderr.strip()[-300:]}")


@pytest.fixture(scope="module")
def app_server():
    for module in ("solara", "solara_assets", "selenium"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{module} is not installed: the browser test needs pip install '.[app]' selenium")
    _ensure_chromium()
    with tempfile.TemporaryFile(mode="w+") as log:
        # --port 0: the server picks a free port and prints its address (no race for a port)
        proc = subprocess.Popen(
            [sys.executable, "-m", "kopsim.app", "baseline", "--port", "0"],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            port = _wait_for_port(proc, log)
            yield f"http://127.0.0.1:{port}/", proc, log
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _wait_for_port(proc: subprocess.Popen, log) -> int:
    """The port from the server's first line, once it accepts connections (60 s at most)."""
    deadline = time.monotonic() + 60
    port = None
    while time.monotonic() < deadline:
        log.seek(0)
        output = log.read()
        if proc.poll() is not None:
            pytest.fail(f"kopsim app exited with {proc.returncode}: {output}")
        found = re.search(r"at http://localhost:(\d+)/", output)
        if found:
            port = int(found.group(1))
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                return port
        time.sleep(0.2)
    pytest.fail(f"kopsim app did not start listening within 60 s (port {port})")


@contextlib.contextmanager
def chromium_driver(window: str = "1600,1250"):
    """Headless Chromium (Debian's) with a fresh profile, closed afterwards."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="kopsim-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        f"--window-size={window}",
    ):
        opts.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def browser(app_server):
    with chromium_driver() as driver:
        driver.set_script_timeout(30)
        yield driver


# Click a button and resolve (in the page, timed with performance.now()) once both the month's
# data and the network picture have changed: the step + redraw time a student sees.
_CLICK_AND_TIME = """
const [selector, done] = [arguments[0], arguments[arguments.length - 1]];
const data = () => (document.querySelector('.kopsim-data') || {}).textContent;
const picture = () => { const img = document.querySelector('.kopsim-network img, img.kopsim-network');
                        return img ? img.src : null; };
const before = [data(), picture()];
const t0 = performance.now();
const check = () => {
  if (data() !== before[0] && picture() !== before[1]) { observer.disconnect(); done(performance.now() - t0); }
};
const observer = new MutationObserver(check);
observer.observe(document.body, {subtree: true, childList: true, characterData: true, attributes: true});
document.querySelector(selector).click();
setTimeout(() => { observer.disconnect(); done(-1); }, 20000);
"""


def test_page_in_headless_chromium(app_server, browser):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    url, proc, log = app_server
    t_start = time.monotonic()
    browser.get(url)
    try:
        WebDriverWait(browser, 60).until(lambda d: d.find_elements(By.CSS_SELECTOR, "button.kopsim-step"))
    except Exception:
        body = browser.find_element(By.TAG_NAME, "body").text[:500]
        pytest.fail(f"the page did not render within 60 s (offline assets missing?); it shows: {body!r}")

    def data() -> dict:
        return json.loads(browser.find_element(By.CSS_SELECTOR, ".kopsim-data").get_attribute("textContent"))

    def wait_month(month: int) -> dict:
        WebDriverWait(browser, 30, poll_frequency=0.05).until(lambda d: data()["month"] == month)
        return data()

    def click(css: str) -> None:
        browser.find_element(By.CSS_SELECTOR, css).click()

    def choose(css: str, item: str) -> None:
        """Pick ``item`` in the drop-down inside ``css``."""
        browser.find_element(By.CSS_SELECTOR, f"{css} .v-select__slot").click()

        def option(d):  # in the open menu (another one may still be closing)
            for el in d.find_elements(By.CSS_SELECTOR, ".menuable__content__active .v-list-item"):
                if el.get_attribute("textContent").strip() == item:
                    return el
            return None

        found = WebDriverWait(browser, 10).until(option, f"no {item!r} in the {css} drop-down")
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", found)
        found.click()
        WebDriverWait(browser, 10).until(lambda d: item in d.find_element(By.CSS_SELECTOR, css).text)
        time.sleep(0.3)  # the menu closes

    start = wait_month(0)
    assert start["agents"] >= 280
    network0 = browser.find_element(By.CSS_SELECTOR, ".kopsim-network img, img.kopsim-network").get_attribute("src")
    # Step several times: the month advances and the charts' data change
    latencies = []
    for month in (1, 2, 3):
        ms = browser.execute_async_script(_CLICK_AND_TIME, "button.kopsim-step")
        assert ms > 0, "no redraw within 20 s of pressing Step"
        latencies.append(ms)
        wait_month(month)
    month3 = data()
    charted = [k for k in month3 if k.startswith(("participation_", "trust_", "ties_"))]
    assert any(month3[k] != start[k] for k in charted), (start, month3)
    assert month3["participation_organisation"] != start["participation_organisation"]
    network3 = browser.find_element(By.CSS_SELECTOR, ".kopsim-network img, img.kopsim-network").get_attribute("src")
    assert network3 != network0
    assert "3" in browser.find_element(By.CSS_SELECTOR, ".kopsim-month").text
    print(
        f"\nstep + redraw in the browser (click -> new data and picture): "
        f"{', '.join(f'{ms:.0f}' for ms in latencies)} ms"
    )
    # Run and pause
    click("button.kopsim-run")
    WebDriverWait(browser, 30, poll_frequency=0.05).until(lambda d: data()["month"] >= 6)
    click("button.kopsim-run")
    # the month under way when Pause is pressed still finishes; on a busy machine that takes a while,
    # so wait (at most 10 s) until the month holds still between two reads
    paused, deadline = data()["month"], time.monotonic() + 10
    while time.monotonic() < deadline:
        time.sleep(0.6)
        now = data()["month"]
        if now == paused:
            break
        paused = now
    time.sleep(0.6)
    assert data()["month"] == paused, "Pause did not stop the run"
    # Move a slider (training quota, with the keyboard as a student could), reset: the run differs
    thumb = browser.find_element(By.CSS_SELECTOR, ".kopsim-training-quota [role=slider]")
    browser.execute_script("arguments[0].focus();", thumb)  # the thumb has no size of its own to click
    ActionChains(browser).send_keys(Keys.HOME).send_keys(*[Keys.ARROW_RIGHT] * 10).perform()
    WebDriverWait(browser, 10).until(
        lambda d: d.find_element(By.CSS_SELECTOR, ".kopsim-training-quota-label").text.endswith(": 10")
    )
    WebDriverWait(browser, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".kopsim-pending"))
    click("button.kopsim-reset")
    wait_month(0)
    WebDriverWait(browser, 10).until(lambda d: not d.find_elements(By.CSS_SELECTOR, ".kopsim-pending"))
    for month in (1, 2, 3):
        click("button.kopsim-step")
        wait_month(month)
    trained3 = data()
    assert trained3 != month3, "the training slider did not change the run"
    assert trained3["ties_linking"] > month3["ties_linking"]  # trainees are linked to the training office
    assert "Diklat 10 " in browser.find_element(By.CSS_SELECTOR, ".kopsim-scenario-line").text
    # A bad value is a readable message, never a traceback
    seed = browser.find_element(By.CSS_SELECTOR, ".kopsim-seed input")
    seed.send_keys(Keys.CONTROL, "a")
    seed.send_keys("-1", Keys.ENTER)
    click("button.kopsim-reset")
    WebDriverWait(browser, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".kopsim-error"))
    message = browser.find_element(By.CSS_SELECTOR, ".kopsim-error").text
    assert "seed: -1 is negative" in message
    assert data()["month"] == 3  # the running model stays
    seed.send_keys(Keys.CONTROL, "a")
    seed.send_keys("42", Keys.ENTER)
    click("button.kopsim-reset")
    wait_month(0)
    WebDriverWait(browser, 10).until(lambda d: not d.find_elements(By.CSS_SELECTOR, ".kopsim-error"))
    for month in range(1, 13):
        click("button.kopsim-step")
        wait_month(month)
    # Language switch
    assert "Modal sosial" in browser.find_element(By.CSS_SELECTOR, ".kopsim-title").text
    click(".kopsim-lang-en")
    WebDriverWait(browser, 10).until(
        lambda d: "Social capital" in d.find_element(By.CSS_SELECTOR, ".kopsim-title").text
    )
    WebDriverWait(browser, 10).until(
        lambda d: d.find_element(By.CSS_SELECTOR, ".kopsim-month").text.startswith("Month 12")
    )
    # Pick another scenario and colour the dots by trust in the board; reset and run: trust collapses
    choose(".kopsim-scenario", "board_scandal")
    choose(".kopsim-trust-target", "the board")
    click("button.kopsim-reset")
    wait_month(0)
    assert data()["scenario"] == "board_scandal"
    click("button.kopsim-run")
    WebDriverWait(browser, 60, poll_frequency=0.05).until(lambda d: data()["month"] >= 42)
    if browser.find_element(By.CSS_SELECTOR, "button.kopsim-run").is_enabled():  # a busy browser may see the end
        click("button.kopsim-run")
    time.sleep(0.8)  # let the last pictures arrive
    after = data()
    assert after["trust_board_low"] > 0.2, after  # the scandal in months 36-38 (trust lost fast)
    body = browser.find_element(By.TAG_NAME, "body").text
    assert "Traceback" not in body
    shot = Path(tempfile.mkdtemp(prefix="kopsim-app-")) / "kopsim-app.png"
    browser.save_screenshot(str(shot))
    if os.environ.get("KOPSIM_APP_SCREENSHOT"):
        shutil.copyfile(shot, os.environ["KOPSIM_APP_SCREENSHOT"])
    print(f"screenshot: {shot} (browser test {time.monotonic() - t_start:.1f} s)")
    assert shot.stat().st_size > 10_000
    assert proc.poll() is None, "the server stopped"
    log.seek(0)
    assert "Traceback" not in log.read()


# ---- the page on a projector: 1024x768 ------------------------------------------------------------
# Every visible text's size on screen: CSS font size times the element's transform scale (Vuetify shrinks
# floating labels with a transform), or for SVG text times the SVG's scale to the screen.
_TEXT_SIZES = """
const out = [];
const walk = (el) => {
  for (const n of el.childNodes) {
    if (n.nodeType === 1) { walk(n); continue; }
    if (n.nodeType !== 3 || !n.textContent.trim()) continue;
    const p = n.parentElement;
    if (!p.getClientRects().length || getComputedStyle(p).visibility === 'hidden') continue;
    let px = parseFloat(getComputedStyle(p).fontSize);
    if (p.closest('svg')) { const m = p.getScreenCTM(); px *= Math.hypot(m.a, m.b); }
    else { for (let e = p; e; e = e.parentElement) {  // CSS transforms on the way up (Vuetify's labels)
      const tf = getComputedStyle(e).transform;
      if (tf && tf !== 'none') { const m = new DOMMatrix(tf); px *= Math.hypot(m.a, m.b); } } }
    out.push([n.textContent.trim().slice(0, 40), Math.round(px * 10) / 10]);
  }
};
walk(document.body);
return out;
"""

_TOPMOST_HOUSEHOLD = """
// a household's dot that no other dot covers at its centre (so a real click lands on it)
const n = arguments[0];
for (let i = 0; i < n; i++) {
  const c = document.getElementById('kopsim-agent-' + i);
  if (!c) continue;
  const r = c.getBoundingClientRect();
  if (document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2) === c) return i;
}
return -1;
"""


def _hex(css_colour: str) -> str:
    """'rgb(0, 114, 178)' -> '#0072B2' (and '#0072b2' -> '#0072B2')."""
    if css_colour.startswith("#"):
        return css_colour.upper()
    r, g, b = (int(float(v)) for v in re.findall(r"[\d.]+", css_colour)[:3])
    return f"#{r:02X}{g:02X}{b:02X}"


def _viewport(driver, width: int, height: int) -> None:
    """Exactly width x height CSS pixels of page (a window size would include the browser's frame)."""
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
    )


def test_page_on_a_projector(app_server):
    """At 1024x768: text >= 16 px, the palette, the speed control, the choice of charts, click-to-inspect,
    the previous run kept faint after Reset, both languages with the scenario descriptions, every
    scenario in the menu, a note per intervention. KOPSIM_APP_SCREENSHOT_DIR=docs saves
    app-1024x768.png and app-1600x1000.png there."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    from kopsim import palette, scenarios
    from kopsim.scenario import load

    url, proc, log = app_server
    log.seek(0, 2)  # the server's log from here on belongs to this test
    with chromium_driver("1024,900") as browser:
        _viewport(browser, 1024, 768)
        browser.get(url)
        WebDriverWait(browser, 90).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".kopsim-data"))

        def data() -> dict:
            return json.loads(browser.find_element(By.CSS_SELECTOR, ".kopsim-data").get_attribute("textContent"))

        def wait(cond, what: str, timeout: float = 60):
            return WebDriverWait(browser, timeout, poll_frequency=0.1).until(lambda d: cond(), what)

        def step_to(month: int) -> None:
            while data()["month"] < month:
                target = data()["month"] + 1
                browser.find_element(By.CSS_SELECTOR, "button.kopsim-step").click()
                wait(lambda t=target: data()["month"] == t, f"month {target}")

        wait(lambda: data()["month"] == 0, "month 0")
        step_to(2)
        # -- legible on a projector: every text >= 16 px on screen, the run controls in view without scrolling
        sizes = browser.execute_script(_TEXT_SIZES)
        assert len(sizes) > 100  # the walk found the page's texts (charts, legend, controls)
        small = [(t, px) for t, px in sizes if px < 16]
        assert not small, f"text smaller than 16 px at 1024x768: {small[:10]}"
        chart_texts = browser.execute_script("return document.querySelectorAll('.kopsim-charts svg text').length")
        assert chart_texts > 20  # the charts' text is text (SVG), measured above
        assert browser.execute_script("return window.scrollY") == 0
        for css in (
            "button.kopsim-step",
            "button.kopsim-run",
            "button.kopsim-reset",
            ".kopsim-speed",
            ".kopsim-scenario",
        ):
            box = browser.execute_script(
                "const r = document.querySelector(arguments[0]).getBoundingClientRect(); return [r.right, r.bottom];",
                css,
            )
            assert box[0] <= 1024 and box[1] <= 768, (css, box)
        natural, shown = browser.execute_script(
            "const i = document.querySelector('.kopsim-network img, img.kopsim-network'); "
            "return [i.naturalWidth, i.getBoundingClientRect().width];"
        )
        assert natural >= 1.8 * shown, (natural, shown)  # high-dpi picture: sharp on a projector
        # -- the palette: chart lines in Okabe-Ito (or grey), trust scale viridis
        strokes = browser.execute_script(
            "return [...document.querySelectorAll('.kopsim-charts polyline.kopsim-series')]"
            ".map(p => getComputedStyle(p).stroke);"
        )
        assert strokes and {_hex(s) for s in strokes} <= {*palette.OKABE_ITO, palette.GREY}, strokes
        gradient = browser.find_element(By.CSS_SELECTOR, ".kopsim-gradient").get_attribute("style").lower()
        assert "rgb(68, 1, 84)" in gradient and "rgb(253, 231, 36)" in gradient  # viridis' ends
        # -- every scenario in the menu
        browser.find_element(By.CSS_SELECTOR, ".kopsim-scenario .v-select__slot").click()
        items = wait(
            lambda: browser.find_elements(By.CSS_SELECTOR, ".menuable__content__active .v-list-item"), "scenario menu"
        )
        names = [el.get_attribute("textContent").strip() for el in items]
        assert names == scenarios.available(), names
        ActionChains(browser).send_keys(Keys.ESCAPE).perform()
        time.sleep(0.5)
        # -- a note under each intervention saying how fast its effect shows
        for css in ("training-quota", "follow-up", "kemitraan", "association", "grant", "village", "harvest"):
            note = browser.find_element(By.CSS_SELECTOR, f".kopsim-{css} .kopsim-note").get_attribute("textContent")
            assert "bulan" in note or "setahun" in note, (css, note)  # Bahasa: says when ("month", "a year")
        # -- both languages, with the scenario's description
        line = browser.find_element(By.CSS_SELECTOR, ".kopsim-scenario-line").text
        assert load("baseline").description_id in line
        browser.find_element(By.CSS_SELECTOR, ".kopsim-lang-en").click()
        wait(
            lambda: load("baseline").description in browser.find_element(By.CSS_SELECTOR, ".kopsim-scenario-line").text,
            "English description",
        )
        wait(
            lambda: "Members' participation" in browser.find_element(By.CSS_SELECTOR, ".kopsim-charts").text,
            "English charts",
        )
        note = browser.find_element(By.CSS_SELECTOR, ".kopsim-training-quota .kopsim-note").text
        assert note.startswith("Fast:") and "hardly move" in note
        # -- choose what to plot: add the members chart
        browser.find_element(By.CSS_SELECTOR, ".kopsim-variables .v-select__slot").click()

        def option(label: str):
            for el in browser.find_elements(By.CSS_SELECTOR, ".menuable__content__active .v-list-item"):
                if el.get_attribute("textContent").strip() == label:
                    return el
            return None

        wait(lambda: option("Number of members"), "the members chart in the menu").click()
        wait(lambda: browser.find_elements(By.CSS_SELECTOR, "svg.kopsim-chart-members"), "members chart")
        ActionChains(browser).send_keys(Keys.ESCAPE).perform()
        assert "members" in data()["panels"]
        # -- switching an intervention on shows the chart where its effect shows (the last chart makes room)
        browser.find_element(By.CSS_SELECTOR, ".kopsim-kemitraan .v-input--selection-controls__ripple").click()
        wait(lambda: browser.find_elements(By.CSS_SELECTOR, "svg.kopsim-chart-partners"), "partnership chart")
        assert data()["panels"] == ["participation", "trust", "ties", "partners"]
        assert browser.find_elements(By.CSS_SELECTOR, ".kopsim-pending")  # takes effect at Reset
        # -- click a dot: that actor's trust, participation, ties and history
        agents = data()["agents"]
        index = browser.execute_script(_TOPMOST_HOUSEHOLD, agents)
        assert index >= 0
        dot = browser.find_element(By.ID, f"kopsim-agent-{index}")
        ActionChains(browser).move_to_element(dot).click().perform()
        card = wait(lambda: browser.find_elements(By.CSS_SELECTOR, ".kopsim-inspect"), "the inspect card")[0]
        assert data()["selected"] == index
        text_ = card.text
        assert f"Actor {index}:" in text_ and "Trust: cooperative" in text_ and "Participation:" in text_
        assert "Ties: bonding" in text_
        history = card.find_elements(By.CSS_SELECTOR, "svg.kopsim-agent-history polyline.kopsim-series")
        assert len(history) == 4 and all(len(h.get_attribute("points").split()) == 3 for h in history)  # months 0..2
        assert browser.find_elements(By.ID, "kopsim-selected")  # the ring around the inspected dot
        # -- speed: slow runs slowly, fastest runs fast
        browser.find_element(By.CSS_SELECTOR, ".kopsim-speed-0_5").click()
        wait(lambda: data()["speed"] == 0.5, "speed 0.5")
        start, t0 = data()["month"], time.monotonic()
        browser.find_element(By.CSS_SELECTOR, "button.kopsim-run").click()
        time.sleep(4.0)
        browser.find_element(By.CSS_SELECTOR, "button.kopsim-run").click()
        elapsed, advanced = time.monotonic() - t0, data()["month"] - start
        slow = advanced / elapsed
        # the first month comes at once, then one every 2 s (one more may be under way)
        assert advanced <= 2 + 0.5 * elapsed, f"at 0.5 months/s the run made {advanced} months in {elapsed:.1f} s"
        time.sleep(2.5)  # the month under way finishes
        browser.find_element(By.CSS_SELECTOR, ".kopsim-speed-0").click()
        wait(lambda: data()["speed"] == 0, "fastest")
        start, t0 = data()["month"], time.monotonic()
        browser.find_element(By.CSS_SELECTOR, "button.kopsim-run").click()
        wait(lambda: data()["month"] >= start + 12, "12 months at the fastest speed")
        fast = (data()["month"] - start) / (time.monotonic() - t0)
        run_button = browser.find_element(By.CSS_SELECTOR, "button.kopsim-run")
        if run_button.is_enabled():  # a busy browser may see the run's end first
            run_button.click()
        assert fast > 2 * slow, (fast, slow)
        print(f"\nrun speed: {slow:.2f} months/s at the slowest setting, {fast:.1f} months/s at the fastest")
        time.sleep(1.0)
        before = data()["month"]
        # -- Reset keeps the previous run as faint dashed lines
        browser.find_element(By.CSS_SELECTOR, "button.kopsim-reset").click()
        wait(lambda: data()["month"] == 0 and data()["previous"], "reset with the previous run kept")
        step_to(1)
        faint = browser.execute_script(
            "return [...document.querySelectorAll('svg.kopsim-chart-participation polyline.kopsim-previous')]"
            ".map(p => [p.getAttribute('points').split(' ').length, parseFloat(getComputedStyle(p).opacity), "
            "getComputedStyle(p).strokeDasharray]);"
        )
        assert len(faint) == 3, faint
        assert all(n >= before and op < 0.5 and dash != "none" for n, op, dash in faint), (faint, before)
        assert browser.find_elements(By.CSS_SELECTOR, ".kopsim-previous-note")
        # -- screenshots for the README: Bahasa Indonesia, a few months into a run, an actor inspected
        out_dir = os.environ.get("KOPSIM_APP_SCREENSHOT_DIR")
        if out_dir:
            browser.find_element(By.CSS_SELECTOR, ".kopsim-lang-id").click()
            step_to(12)
            index = browser.execute_script(_TOPMOST_HOUSEHOLD, agents)
            ActionChains(browser).move_to_element(
                browser.find_element(By.ID, f"kopsim-agent-{index}")
            ).click().perform()
            wait(lambda: browser.find_elements(By.CSS_SELECTOR, ".kopsim-inspect"), "the inspect card")
            browser.execute_script("document.querySelector('.kopsim-settings').scrollTop = 0;")
            time.sleep(1.0)
            browser.save_screenshot(str(Path(out_dir) / "app-1024x768.png"))
            _viewport(browser, 1600, 1000)
            time.sleep(2.0)
            sizes = browser.execute_script(_TEXT_SIZES)
            assert not [(t, px) for t, px in sizes if px < 16]
            browser.save_screenshot(str(Path(out_dir) / "app-1600x1000.png"))
        assert "Traceback" not in browser.find_element(By.TAG_NAME, "body").text
    assert proc.poll() is None, "the server stopped"
    log.seek(0)
    assert "Traceback" not in log.read()
