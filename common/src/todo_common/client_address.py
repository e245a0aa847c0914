"""The browser's address, passed from the frontend to the backend in a header that only the
frontend can write: the address and the time, signed with PROXY_SECRET, which both services
share and nobody else knows.

The backend counts sign-ups, sign-ins and failed sign-ins per client address. Through the
frontend every request comes from the frontend's own address, and an X-Forwarded-For header
proves nothing (anyone can send one, and NodePort traffic arrives from a cluster address that
a "trusted networks" rule would believe). A signed header is believed from whoever sends it,
since only the frontend can make one; it is valid for a short time, so a captured one soon
stops working, and it can only ever name the address it was made for."""

import hashlib
import hmac
import time

from todo_common.secrets import (
    HOW_TO_MAKE_ONE,
    MIN_DISTINCT_CHARACTERS,
    MIN_SECRET_LENGTH,
    SettingsError,
)

CLIENT_ADDRESS_HEADER = "x-todo-client-address"
# How long a signed address is valid: the frontend sends it at once, so only clock skew
# between the two services' nodes needs room.
VALID_SECONDS = 30
# PROXY_SECRET in LOCAL_MODE (`make run`), where both services run on one machine.
LOCAL_MODE_PROXY_SECRET = "local-mode-proxy-secret-not-for-production-use"
# Keeps these signatures apart from anything else the same key might ever sign.
_DOMAIN = b"todo client address\n"


def checked_proxy_secret(secret: str, *, local_mode: bool) -> str:
    """PROXY_SECRET to use: empty means no signed addresses (outside local mode), anything
    else must be long and not the public local-mode one (SettingsError, naming the variable)."""
    secret = secret.strip()
    if not secret:
        return LOCAL_MODE_PROXY_SECRET if local_mode else ""
    if secret == LOCAL_MODE_PROXY_SECRET and not local_mode:
        raise SettingsError(
            f"PROXY_SECRET must be a random value of its own ({HOW_TO_MAKE_ONE}): the "
            "local-mode one is public, so anyone could choose the address they are counted by"
        )
    if len(secret) < MIN_SECRET_LENGTH or len(set(secret)) < MIN_DISTINCT_CHARACTERS:
        raise SettingsError(
            f"PROXY_SECRET must be a random value of at least {MIN_SECRET_LENGTH} characters, "
            f"the same for the frontend and the backend ({HOW_TO_MAKE_ONE})"
        )
    return secret


def _signature(secret: str, address: str, timestamp: int) -> str:
    message = _DOMAIN + f"{address}\n{timestamp}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign_client_address(secret: str, address: str, now: float | None = None) -> str:
    """The header's value: `<address> <unix time> <HMAC-SHA256>`."""
    timestamp = int(time.time() if now is None else now)
    return f"{address} {timestamp} {_signature(secret, address, timestamp)}"


def verified_client_address(secret: str, value: str, now: float | None = None) -> str | None:
    """The address a header value names, if `secret` signed it within VALID_SECONDS; None
    for anything else (no secret, malformed, forged, stale)."""
    parts = value.split(" ")
    if not secret or len(parts) != 3 or not parts[1].isdigit():
        return None
    address, timestamp, signature = parts[0], int(parts[1]), parts[2]
    current = time.time() if now is None else now
    if abs(current - timestamp) > VALID_SECONDS:
        return None
    if not hmac.compare_digest(signature, _signature(secret, address, timestamp)):
        return None
    return address
