"""`todo-backend serve` runs the service; `todo-backend migrate` applies migrations and exits."""

import argparse
import asyncio
import sys

from pydantic import ValidationError

from todo_backend.settings import QUIET_LOGGERS, Settings


def _load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        # One line a person can act on, not a trace.
        messages = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in error.errors())
        print(f"todo-backend: configuration error: {messages}", file=sys.stderr)
        raise SystemExit(2) from None


def serve(settings: Settings) -> None:
    from prometheus_client import start_http_server

    from todo_backend.main import create_app
    from todo_common.serving import serve as serve_app

    app = create_app(settings)
    if settings.metrics_port:
        # A port of its own, kept off the public Service: the metrics name every route.
        start_http_server(
            settings.metrics_port, addr=settings.host, registry=app.state.metrics.registry
        )
    # Only TRUSTED_PROXIES may set the client address: the per-address limits would mean
    # nothing if anyone could claim any address.
    serve_app(
        app, host=settings.host, port=settings.port, forwarded_allow_ips=settings.trusted_proxies
    )


def migrate(settings: Settings) -> None:
    from todo_backend.db import create_engine
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
