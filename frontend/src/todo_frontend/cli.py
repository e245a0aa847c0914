"""`todo-frontend serve`: run the frontend with uvicorn on 0.0.0.0:$PORT."""

import argparse
import sys

import uvicorn
from pydantic import ValidationError

from todo_common.logs import configure_logging
from todo_frontend.app import create_app
from todo_frontend.settings import Settings

# Seconds an open request (a streaming chat reply, say) gets to finish after SIGTERM.
GRACEFUL_SHUTDOWN_SECONDS = 20


def _one_line(error: ValidationError) -> str:
    problems = []
    for item in error.errors():
        message = str(item["msg"]).removeprefix("Value error, ")
        field = ".".join(str(part) for part in item["loc"]).upper()
        problems.append(f"{field}: {message}" if field else message)
    return "; ".join(problems)


def serve() -> int:
    try:
        settings = Settings()
    except ValidationError as error:
        print(f"todo-frontend: configuration error: {_one_line(error)}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, quiet=("httpx",))
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        proxy_headers=True,
        # Only these may say the visitor came over HTTPS (X-Forwarded-Proto) or from where.
        forwarded_allow_ips=settings.trusted_proxies,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="todo-frontend", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="run the web server (PORT, BACKEND_URL, ...)")
    parser.parse_args(argv)
    return serve()


if __name__ == "__main__":
    sys.exit(main())
