"""The classroom server beyond this computer, driven as students would: a real page in headless
Chromium over the server's real websocket. A wrong join code is refused, the right one opens the
classroom, and a tab beyond ``--max-sessions`` is told the class is full."""

from __future__ import annotations

import contextlib
import re
import socket
import subprocess
import sys
import tempfile
import time

import pytest
from test_app import ROOT, _ensure_chromium, chromium_driver


@pytest.fixture(scope="module")
def open_server():
    pytest.importorskip("solara")
    pytest.importorskip("selenium")
    _ensure_chromium()
    with tempfile.TemporaryFile(mode="w+") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "kopsim.app",
                "baseline",
                "--port",
                "0",
                "--host",
                "0.0.0.0",
                "--max-sessions",
                "1",
                "--lang",
                "en",
            ],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            deadline, port, code = time.monotonic() + 60, None, None
            while time.monotonic() < deadline and (port is None or code is None):
                log.seek(0)
                out = log.read()
                if proc.poll() is not None:
                    pytest.fail(f"kopsim app exited with {proc.returncode}: {out}")
                found_port = re.search(r"at http://localhost:(\d+)/", out)
                found_code = re.search(r"join code (\S+)", out)
                port = int(found_port.group(1)) if found_port else None
                code = found_code.group(1) if found_code else None
                time.sleep(0.2)
            assert port and code, "the server printed no address or join code"
            while time.monotonic() < deadline:
                with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
                time.sleep(0.2)
            yield f"http://127.0.0.1:{port}/", code
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture(scope="module")
def chromium():
    with chromium_driver("1024,768") as driver:
        yield driver


def test_join_code_and_class_size_over_the_real_websocket(open_server, chromium):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    url, code = open_server
    chromium.get(url)
    wait = WebDriverWait(chromium, 60, poll_frequency=0.1)

    def enter(text: str) -> None:
        field = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, ".kopsim-join-code input"))
        field.send_keys(Keys.CONTROL, "a")  # as a student would: select what is there and type over it
        field.send_keys(Keys.BACKSPACE)
        field.send_keys(text)
        time.sleep(0.5)  # the field sends its value as it is typed
        chromium.find_element(By.CSS_SELECTOR, ".kopsim-join").click()

    # no classroom before the code
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".kopsim-join-code"))
    assert not chromium.find_elements(By.CSS_SELECTOR, ".kopsim-month")
    enter("WRONG1" if code != "WRONG1" else "WRONG2")
    wait.until(lambda d: "Wrong class code" in d.find_element(By.TAG_NAME, "body").text)
    assert not chromium.find_elements(By.CSS_SELECTOR, ".kopsim-month")
    enter(code)
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".kopsim-month"))
    # a second tab is one session more than --max-sessions 1 allows
    chromium.switch_to.new_window("tab")
    chromium.get(url)
    enter(code)  # a student who knows the code still finds no place
    wait.until(lambda d: "class is full" in d.find_element(By.TAG_NAME, "body").text)
    assert not chromium.find_elements(By.CSS_SELECTOR, ".kopsim-month")
