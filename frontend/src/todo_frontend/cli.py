"""`todo-frontend serve`: run the frontend with uvicorn on 0.0.0.0:$PORT."""

import argparse
import sys

from pydantic import ValidationError

from todo_common.logs import configure_logging
from todo_common.serving import serve as serve_app
from todo_frontend.app import create_app
from todo_frontend.settings import Settings


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
    # Only TRUSTED_PROXIES may say the visitor came over HTTPS (X-Forwarded-Proto) or from where.
    serve_app(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        forwarded_allow_ips=settings.trusted_proxies,
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
