"""The ``app`` sub-command: serve the dashboard (``analysis/dashboard/page.py``) on 127.0.0.1, or replay a stored world.

    escalation app [SCENARIO] [--seed S] [--host 127.0.0.1] [--port 8765]
    escalation app --replay RESULTS_DIR --world K

The page is served by Solara's Starlette app under uvicorn in this process; Ctrl+C (or SIGTERM) stops
it. The port is bound before the "serving" line and handed to uvicorn, so a port in use is one line of
error and exit code 2 (no server starts). The dashboard needs the optional ``app`` extra
(``pip install "escalation-sim[app]"``).
"""

from __future__ import annotations

import errno
import os
import socket
import sys
import warnings
from analysis.dashboard.replay import replay_spec
from sim.errors import InputError

APP_EXTRA_HINT = 'the dashboard needs the app extra: pip install "escalation-sim[app]" (or pip install -e ".[app]")'
PAGE = "analysis.dashboard.page:Page"


def register(subparsers) -> None:
    """Add ``app``."""
    parser = subparsers.add_parser(
        "app", help="serve the interactive dashboard (a Solara page over the Mesa model) on 127.0.0.1",
        description="Serve a page that runs one world step by step: pick a scenario, move the key "
                    "parameters, step, play or reset, and watch the escalation level, attacks, casualties, "
                    "hostility, leash and US pressure, and the event log. With --replay, open world K of a "
                    "stored batch or sweep exactly as it ran. Needs the app extra.")
    parser.add_argument("scenario", nargs="?", default=None, metavar="SCENARIO",
                        help="scenario name or YAML path (default: baseline)")
    parser.add_argument("--seed", type=int, default=0, metavar="S",
                        help="master seed of the world shown (world 0 of `escalation run --seed S`; default 0)")
    parser.add_argument("--replay", metavar="RESULTS_DIR", default=None,
                        help="a results directory written by `escalation batch` or `escalation sweep`")
    parser.add_argument("--world", type=int, default=None, metavar="K", help="with --replay: the world id to open")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, metavar="P", help="port (default 8765; 0 picks a free one)")
    parser.set_defaults(func=run_app)


def app_config(scenario: str | None = None, seed: int = 0, replay: str | None = None, world: int | None = None):
    """The page's configuration, validated (bad input raises :class:`InputError` before any server starts)."""
    # AppConfig's module imports the model, pandas and the palette: only once the input has been checked
    from sim.scenario import load_scenario

    if replay is not None:
        if scenario is not None:
            raise InputError("give either a SCENARIO or --replay RESULTS_DIR --world K, not both", key="--replay")
        spec = replay_spec(replay, world)
        from analysis.dashboard.world import AppConfig

        return AppConfig(scenario=spec["scenario"], seed=0, replay=spec)
    if world is not None:
        raise InputError("--world needs --replay RESULTS_DIR", key="--world")
    if seed < 0:
        raise InputError(f"expected a seed >= 0, got {seed}", key="--seed")
    from analysis.runs.guards import check_seed

    check_seed(seed)
    load_scenario(scenario or "baseline")  # raises ScenarioError (an InputError) for an unknown scenario
    from analysis.dashboard.world import AppConfig

    return AppConfig(scenario=scenario or "baseline", seed=seed)


def require_app_extra() -> None:
    """Raise a one-line :class:`InputError` when the app extra (solara) is not installed.

    Found, not imported: importing solara takes over a second, which a refused command should not pay.
    """
    import importlib.util

    for name in ("ipyvuetify", "solara"):
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):  # a parent package missing, or hidden as sys.modules[name] = None
            found = False
        if not found:
            raise InputError(APP_EXTRA_HINT)


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def bind_port(host: str = "127.0.0.1", port: int = 8765) -> socket.socket:
    """A listening socket on ``host:port`` (port 0: a free one), as uvicorn would bind it.

    Raises:
        InputError: the port is in use, or the address cannot be bound here.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as error:
        raise InputError(f"cannot use host {host!r}: {error.strerror}", key="--host") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn: a port in TIME_WAIT is free
        sock.bind(address)
        sock.listen(2048)
    except OSError as error:
        sock.close()
        if error.errno == errno.EADDRINUSE:
            raise InputError(f"port {port} on {host} is in use; pick another with --port P (--port 0 picks a free one)",
                             key="--port") from None
        raise InputError(f"cannot listen on {host}:{port}: {error.strerror or error}", key="--port") from None
    sock.set_inheritable(True)
    return sock


def serve(config, host: str = "127.0.0.1", port: int = 8765, sock: socket.socket | None = None) -> bool:
    """Serve the page with the given configuration until interrupted (on ``sock`` when given, bound already).

    Returns:
        False when the server failed to start (uvicorn has logged why).
    """
    from analysis.dashboard.world import CONFIG_ENV

    os.environ[CONFIG_ENV] = config.to_json()
    os.environ["SOLARA_APP"] = PAGE
    os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")  # no calls home
    os.environ.setdefault("SOLARA_THEME_VARIANT", "light")
    import uvicorn

    # Solara warns once that a page on 127.0.0.1 (not "localhost") gets a samesite=lax cookie: harmless here.
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https")
    sock = sock if sock is not None else bind_port(host, port)
    port = int(sock.getsockname()[1])
    shown = f"[{host}]" if ":" in host else host
    print(f"escalation app: serving {describe(config)} at http://{shown}:{port}/ (Ctrl+C stops)",
          file=sys.stderr, flush=True)
    server = uvicorn.Server(uvicorn.Config("solara.server.starlette:app", host=host, port=port, log_level="warning"))
    server.run(sockets=[sock])
    return bool(server.started)


def describe(config) -> str:
    """One line on what the page shows."""
    if config.replay:
        replay = config.replay
        return f"world {replay['world']} of {replay['kind']} '{replay['name']}' (scenario {config.scenario})"
    return f"scenario {config.scenario} (seed {config.seed})"


def run_app(args) -> int:
    """``escalation app``."""
    require_app_extra()
    if not 0 <= args.port <= 65535:
        raise InputError(f"expected a port 0-65535, got {args.port}", key="--port")
    config = app_config(args.scenario, args.seed, args.replay, args.world)
    for warning in (config.replay or {}).get("warnings", []):
        print(f"escalation app: warning: {warning}", file=sys.stderr)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"escalation app: warning: binding to {args.host} makes the page reachable from other machines",
              file=sys.stderr)
    sock = bind_port(args.host, args.port)  # before serving: a port in use is one line and exit 2
    return 0 if serve(config, args.host, args.port, sock) else 3  # 3: uvicorn's code for a failed start
