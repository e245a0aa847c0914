"""`todo-frontend serve`: run the frontend with uvicorn on $HOST:$PORT."""

import argparse
import sys

from pydantic import ValidationError

from todo_common.configuration import error_line
from todo_common.logs import configure_logging
from todo_common.serving import PortUnavailableError, listening_socket
from todo_common.serving import serve as serve_app
from todo_frontend.app import create_app
from todo_frontend.settings import Settings

# Which variable moves the port, said when the port is taken.
PORT_ADVICE = "set PORT, or FRONTEND_PORT for make run"


def serve() -> int:
    try:
        settings = Settings()
    except ValidationError as error:
        print(f"todo-frontend: configuration error: {error_line(error.errors())}", file=sys.stderr)
        return 2
    try:
        listener = listening_socket(settings.host, settings.port, PORT_ADVICE)
    except PortUnavailableError as error:
        print(f"todo-frontend: error: {error}", file=sys.stderr)
        return 1
    configure_logging(settings.log_level, quiet=("httpx",))
    # Only TRUSTED_PROXIES may say the visitor came over HTTPS (X-Forwarded-Proto) or from where.
    serve_app(create_app(settings), listener=listener, forwarded_allow_ips=settings.trusted_proxies)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="todo-frontend", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="run the web server (PORT, BACKEND_URL, ...)")
    parser.parse_args(argv)
    return serve()


if __name__ == "__main__":
    sys.exit(main())
