"""Serving the classroom page: checks first (scenario, class size, port), then Solara on uvicorn.

Everything that can go wrong before a browser connects is reported as one line by the
``kopsim`` command (exit code 2): an unknown scenario, an invalid class size, a port already
in use, Solara not installed. The listening socket is bound here, before Solara starts, so a
busy port is caught at once and cannot be taken by someone else in between.

Solara's JavaScript and CSS come from the ``solara-assets`` package (installed with the
``app`` extra), so the page works without internet, as in many classrooms. Solara's
telemetry is switched off.
"""

from __future__ import annotations

import errno
import os
import socket
import sys
import threading
import time
import warnings
import webbrowser

from ..errors import UsageError
from ..scenario import Scenario

APP_MODULE = "kopsim.app.page"


def check_scenario(name: str | None, households: int, seed: int | None) -> Scenario:
    """Build the model the page will start with (so the page cannot fail on it); returns the scenario.
    Errors name what is wrong (printed as one line, exit 2)."""
    from .session import AppError, Classroom, Settings, allow_teacher_choice

    allow_teacher_choice(name, households)  # the teacher's own choices are offered to the page
    try:
        room = Classroom(Settings(scenario=name or "baseline", seed=seed, households=households))
    except AppError as err:
        raise UsageError(str(err)) from None
    return room.scenario


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port, or a UsageError saying why not (port in use, bad host)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # Linux still refuses a port someone listens on
    try:
        sock.bind((host, port))
        sock.listen(128)
    except OSError as err:
        sock.close()
        if err.errno == errno.EADDRINUSE:
            raise UsageError(
                f"port {port} on {host} is already in use (another kopsim app?); "
                f"stop that program or choose another port with --port"
            ) from None
        if isinstance(err, socket.gaierror) or err.errno in (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT):
            raise UsageError(
                f"cannot serve on host {host!r}: {err.strerror or err}; "
                f"use --host 127.0.0.1 (this computer) or 0.0.0.0 (the local network)"
            ) from None
        if err.errno == errno.EACCES:
            raise UsageError(
                f"not allowed to use port {port} (ports below 1024 need root); choose another with --port"
            ) from None
        raise
    return sock


def is_loopback(host: str) -> bool:
    """True if ``host`` only accepts connections from this computer (no join code needed then)."""
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


JOIN_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: read from a projector


def make_join_code(length: int = 6) -> str:
    """A fresh code students type to join (32^6 ≈ 10^9 codes; each tab gets 10 tries)."""
    import secrets

    return "".join(secrets.choice(JOIN_ALPHABET) for _ in range(length))


def _require_solara() -> None:
    try:
        import solara  # noqa: F401
        import solara_assets  # noqa: F401  (the offline copy of Solara's JavaScript)
        import uvicorn  # noqa: F401
    except ImportError as err:
        raise UsageError(
            f"the classroom app needs the optional extra 'app' ({err.name} is missing): pip install 'kopsim[app]'"
        ) from None


def configure(
    scenario: str | None,
    households: int,
    seed: int | None,
    lang: str,
    join_code: str = "",
    max_sessions: int | None = None,
) -> None:
    """Environment for the page (read by simulation.app.page) and for Solara's settings."""
    from .session import DEFAULT_MAX_SESSIONS, JOIN_CODE_ENV, MAX_SESSIONS_ENV

    os.environ[JOIN_CODE_ENV] = join_code
    os.environ[MAX_SESSIONS_ENV] = str(max_sessions or DEFAULT_MAX_SESSIONS)
    os.environ["SOLARA_APP"] = APP_MODULE
    os.environ["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"
    os.environ["SOLARA_THEME_SHOW_BANNER"] = "False"
    os.environ["SOLARA_THEME_TITLE"] = "kopsim"
    os.environ["SOLARA_MODE"] = "production"
    os.environ["KOPSIM_APP_SCENARIO"] = scenario or "baseline"
    os.environ["KOPSIM_APP_HOUSEHOLDS"] = str(households)
    os.environ["KOPSIM_APP_SEED"] = "" if seed is None else str(seed)
    os.environ["KOPSIM_APP_LANG"] = lang
    # Solara warns once that its session cookie falls back to SameSite=Lax on plain http: expected here
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https")
    import solara.server.settings as settings

    settings.main.mode = "production"  # in case Solara was imported before the variables were set
    settings.telemetry.mixpanel_enable = False
    settings.theme.show_banner = False
    settings.theme.title = "kopsim"


def serve(
    scenario: str | None = None,
    host: str = "127.0.0.1",
    port: int = 8765,
    households: int = 290,
    seed: int | None = None,
    lang: str = "id",
    open_browser: bool = False,
    max_sessions: int | None = None,
) -> int:
    """Check the input, bind host:port, and serve the page until Ctrl+C. Returns the exit code.

    Beyond this computer (a host that is not loopback) the page asks for a join code, printed here.
    """
    scen = check_scenario(scenario, households, seed)
    sock = bind(host, port)
    try:
        _require_solara()
    except Exception:
        sock.close()
        raise
    port = sock.getsockname()[1]  # the real port when 0 (any free port) was asked for
    join_code = "" if is_loopback(host) else make_join_code()
    configure(scenario, households, seed, lang, join_code, max_sessions)
    import uvicorn

    config = uvicorn.Config(
        "solara.server.starlette:app",
        host=host,
        port=port,
        log_level="warning",
        ws_ping_interval=20,
        timeout_graceful_shutdown=2,
    )
    server = uvicorn.Server(config)
    everywhere = host in ("0.0.0.0", "::")
    shown = "localhost" if everywhere or host in ("127.0.0.1", "::1") else host
    url = f"http://{shown}:{port}/"
    also = f"; other computers: http://<this computer's address>:{port}/" if everywhere else ""
    print(f"kopsim app: scenario {scen.name!r} at {url}{also} (press Ctrl+C to stop)", flush=True)
    if join_code:
        print(f"kopsim app: join code {join_code} (students type it on the page)", flush=True)
    if open_browser:

        def opener() -> None:
            while not server.started:
                time.sleep(0.1)
            webbrowser.open(url)

        threading.Thread(target=opener, daemon=True).start()
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
    print("kopsim app: stopped", file=sys.stderr, flush=True)
    return 0
