"""JSON Web Tokens signed with HMAC-SHA256 (RFC 7519 in the compact form of RFC 7515), on the
standard library alone.

The backend issues and accepts one kind of token: HS256 with its own secret. PyJWT can do this,
but importing it imports `cryptography` for RSA and EC keys we never use: 8.5 MB of every idle
backend (issue 13). Only the MCP SDK needs `cryptography`, and it loads on the first MCP request.

Verification follows PyJWT's rules for what we issue, with no leeway: `test_jwt_hs256` checks
a table of tokens against both, and that a token encoded here is byte for byte PyJWT's."""

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Collection, Mapping
from typing import Any

ALGORITHM = "HS256"
# As PyJWT writes it (sorted keys, no spaces), so tokens issued before and after are alike.
_HEADER = b'{"alg":"HS256","typ":"JWT"}'
EXPIRED = "the token has expired"


class TokenError(ValueError):
    """The token is malformed, not signed with the key, or a claim it needs does not hold."""


def encode(claims: Mapping[str, Any], key: str) -> str:
    """`claims` as a signed token."""
    signing_input = _segment(_HEADER) + b"." + _segment(_compact_json(claims))
    return (signing_input + b"." + _segment(_signature(signing_input, key))).decode("ascii")


def decode(
    token: str, key: str, *, audience: str, issuer: str | None, required: Collection[str]
) -> dict[str, Any]:
    """The claims of `token`, once its signature, its header and its registered claims hold:
    signed with `key`, `aud` naming `audience`, `iss` equal to `issuer` when there is one,
    issued and valid by now and not expired, and every claim in `required` present."""
    header, claims = _verified_parts(token, key)
    if "crit" in header:
        raise TokenError("the token requires extensions we do not support")
    missing = [name for name in required if claims.get(name) is None]
    if missing:
        raise TokenError(f'the token lacks the "{missing[0]}" claim')
    _check_times(claims, now=time.time())
    audiences = claims.get("aud")
    if isinstance(audiences, str):
        audiences = [audiences]
    if not isinstance(audiences, list) or audience not in audiences:
        raise TokenError("the token is for another audience")
    if issuer is not None and claims.get("iss") != issuer:
        raise TokenError("the token is from another issuer")
    return claims


def _verified_parts(token: str, key: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The header and the claims, once the signature is `key`'s and the header says HS256.
    The signature is checked first: no JSON is parsed from a token that is not ours."""
    try:
        raw = token.encode("ascii")
    except UnicodeEncodeError:
        raise TokenError("the token is not ASCII") from None
    segments = raw.split(b".")
    if len(segments) != 3:
        raise TokenError("a token has three segments")
    header_segment, claims_segment, signature_segment = segments
    signing_input = header_segment + b"." + claims_segment
    if not hmac.compare_digest(_decoded(signature_segment), _signature(signing_input, key)):
        raise TokenError("the signature does not match")
    header = _json_object(_decoded(header_segment), "header")
    if header.get("alg") != ALGORITHM:
        raise TokenError(f"the token is not signed with {ALGORITHM}")
    return header, _json_object(_decoded(claims_segment), "claims")


def expired(expires_at: float, now: float) -> bool:
    """Whether a token whose `exp` is `expires_at` has expired by `now` (no leeway)."""
    return expires_at <= now


def _check_times(claims: Mapping[str, Any], *, now: float) -> None:
    """`iat` and `nbf` not after `now`, `exp` after it; each a number where present."""
    for name in ("iat", "nbf"):
        if name in claims and _seconds(claims[name], name) > now:
            raise TokenError("the token is not valid yet")
    if "exp" in claims and expired(_seconds(claims["exp"], "exp"), now):
        raise TokenError(EXPIRED)


def _seconds(value: Any, name: str) -> int:
    """A NumericDate claim in whole seconds, as PyJWT reads it."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return int(value)
        except (OverflowError, ValueError):  # inf, nan
            pass
    raise TokenError(f'the "{name}" claim is not a time')


def _signature(signing_input: bytes, key: str) -> bytes:
    return hmac.new(key.encode(), signing_input, hashlib.sha256).digest()


def _compact_json(value: Mapping[str, Any]) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _segment(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def _decoded(segment: bytes) -> bytes:
    """A segment's bytes; only the canonical unpadded base64url form is taken (the decoder
    skips characters outside the alphabet: encoding the bytes again must give the segment)."""
    try:
        data = base64.urlsafe_b64decode(segment + b"=" * (-len(segment) % 4))
    except binascii.Error:
        raise TokenError("a segment is not base64url") from None
    if _segment(data) != segment:
        raise TokenError("a segment is not base64url")
    return data


def _json_object(data: bytes, part: str) -> dict[str, Any]:
    try:
        value = json.loads(data)
    except ValueError:
        raise TokenError(f"the token's {part} is not JSON") from None
    if not isinstance(value, dict):
        raise TokenError(f"the token's {part} is not a JSON object")
    return value
