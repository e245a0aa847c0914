"""`todo-backend serve` runs the service; `todo-backend migrate` applies migrations and exits."""

import argparse
import asyncio
import sys
from typing import TYPE_CHECKING

from pydantic import ValidationError

from todo_backend.settings import QUIET_LOGGERS, Settings
from todo_common.configuration import error_line

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

# Which variable moves each port, said when the port is taken.
PORT_ADVICE = "set PORT, or BACKEND_PORT for make run"
METRICS_PORT_ADVICE = "set METRICS_PORT, or 0 to serve /metrics on the API port"


def _load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        # One line a person can act on, not a trace.
        print(f"todo-backend: configuration error: {error_line(error.errors())}", file=sys.stderr)
        raise SystemExit(2) from None


def _serve_metrics(settings: Settings, registry: "CollectorRegistry") -> None:
    """Metrics on a port of their own, kept off the public Service: they name every route."""
    from prometheus_client import start_http_server

    from todo_common.serving import port_unavailable

    try:
        start_http_server(settings.metrics_port, addr=settings.host, registry=registry)
    except OSError as error:
        host, port = settings.host, settings.metrics_port
        raise port_unavailable(error, host, port, METRICS_PORT_ADVICE) from None


def serve(settings: Settings) -> None:
    from todo_backend.main import create_app
    from todo_backend.services import services_of
    from todo_common.serving import PortUnavailableError, listening_socket
    from todo_common.serving import serve as serve_app

    try:
        listener = listening_socket(settings.host, settings.port, PORT_ADVICE)
        app = create_app(settings)
        if settings.metrics_port:
            _serve_metrics(settings, services_of(app).metrics.registry)
    except PortUnavailableError as error:
        print(f"todo-backend: error: {error}", file=sys.stderr)
        raise SystemExit(1) from None
    # Only TRUSTED_PROXIES may set the client address: the per-address limits would mean
    # nothing if anyone could claim any address.
    serve_app(app, listener=listener, forwarded_allow_ips=settings.trusted_proxies)


def migrate(settings: Settings) -> None:
    from todo_backend.data.engine import create_engine
    from todo_backend.migrate import apply_migrations
    from todo_common.logs import configure_logging

    configure_logging(settings.log_level, quiet=QUIET_LOGGERS)

    async def run() -> None:
        engine = create_engine(settings.database_url)
        try:
            await apply_migrations(engine)
        finally:
            await engine.dispose()

    asyncio.run(run())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="todo-backend", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="run the API server on $PORT (default 8000)")
    commands.add_parser("migrate", help="apply pending database migrations and exit")
    args = parser.parse_args(argv)
    settings = _load_settings()
    {"serve": serve, "migrate": migrate}[args.command](settings)


if __name__ == "__main__":
    main()
