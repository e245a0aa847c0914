"""The request id that ties a request's log lines together across both services."""

import re
import secrets
from collections.abc import Iterable

REQUEST_ID_HEADER = "x-request-id"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def request_id_for(headers: Iterable[tuple[bytes, bytes]]) -> str:
    """The caller's X-Request-ID (from an ASGI scope's headers) when it is a sane token,
    otherwise a new one."""
    for name, value in headers:
        if name == b"x-request-id":
            candidate = value.decode("latin-1")
            if _VALID_REQUEST_ID.match(candidate):
                return candidate
    return secrets.token_hex(16)  # 32 hex digits, as uuid4().hex, for a third of its cost
