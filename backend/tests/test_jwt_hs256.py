"""Our HS256 tokens (`jwt_hs256`) against PyJWT, the reference: every token in the table is
taken or refused as it states, by us and by PyJWT alike, and a token we encode is PyJWT's byte
for byte. And the reason the module exists: a backend that never speaks MCP never loads
`cryptography`."""

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
import pytest
from jwt.algorithms import HMACAlgorithm
from jwt.utils import base64url_encode

from backend_testkit import TEST_SECRET
from todo_backend import jwt_hs256

AUDIENCE = "todo-chatbot-api"
ISSUER = "https://todo.example"
REQUIRED = ("sub", "aud", "ver", "exp", "iat")
# PyJWT warns that our secret is short for HS512; the HS512 case uses it on purpose.
pytestmark = pytest.mark.filterwarnings("ignore:The HMAC key is")


def claims(**changes: Any) -> dict[str, Any]:
    """Claims as the backend issues them, with `changes` (None removes a claim)."""
    now = int(time.time())
    issued = {"sub": "user-1", "aud": AUDIENCE, "ver": 0, "iat": now, "exp": now + 600}
    return {name: value for name, value in {**issued, **changes}.items() if value is not None}


def signed(payload: dict[str, Any], *, key: str = TEST_SECRET, **options: Any) -> str:
    return jwt.encode(payload, key, algorithm=options.pop("algorithm", "HS256"), **options)


def signed_bytes(payload: bytes) -> str:
    """A well-signed token whose claims segment is `payload`, whatever it holds."""
    return jwt.PyJWS().encode(payload, TEST_SECRET, algorithm="HS256")


def hs256_under(header: dict[str, Any]) -> str:
    """Claims as issued, signed with HS256 and our secret under `header`, whatever it says."""
    segments = [base64url_encode(json.dumps(part).encode()) for part in (header, claims())]
    signing_input = b".".join(segments)
    signature = HMACAlgorithm(HMACAlgorithm.SHA256).sign(signing_input, TEST_SECRET.encode())
    return b".".join([signing_input, base64url_encode(signature)]).decode()


def with_segment(token: str, index: int, segment: str) -> str:
    parts = token.split(".")
    parts[index] = segment
    return ".".join(parts)


@dataclass(frozen=True)
class Case:
    token: Callable[[], str]
    taken: bool
    issuer: str | None = None


CASES: dict[str, Case] = {
    "as issued": Case(lambda: signed(claims()), taken=True),
    "with our issuer": Case(lambda: signed(claims(iss=ISSUER)), taken=True, issuer=ISSUER),
    "our audience among others": Case(lambda: signed(claims(aud=["other", AUDIENCE])), True),
    "extra claims and header fields": Case(
        lambda: signed(claims(name="Ann"), headers={"kid": "k1"}), taken=True
    ),
    "valid since a moment ago (nbf)": Case(lambda: signed(claims(nbf=int(time.time()) - 5)), True),
    "times with fractions": Case(
        lambda: signed(claims(iat=time.time() - 0.5, exp=time.time() + 60.5)), taken=True
    ),
    "expired": Case(lambda: signed(claims(exp=int(time.time()) - 1)), taken=False),
    "issued in the future": Case(lambda: signed(claims(iat=int(time.time()) + 60)), False),
    "not valid yet (nbf)": Case(lambda: signed(claims(nbf=int(time.time()) + 60)), False),
    "a time that is not a number": Case(lambda: signed(claims(iat="earlier")), taken=False),
    "another audience": Case(lambda: signed(claims(aud="another-service")), taken=False),
    "an audience list without ours": Case(lambda: signed(claims(aud=["a", "b"])), False),
    "an audience that is not text": Case(lambda: signed(claims(aud=[1, 2])), taken=False),
    "no audience": Case(lambda: signed(claims(aud=None)), taken=False),
    "no subject": Case(lambda: signed(claims(sub=None)), taken=False),
    "no version": Case(lambda: signed(claims(ver=None)), taken=False),
    "no expiry": Case(lambda: signed(claims(exp=None)), taken=False),
    "no issue time": Case(lambda: signed(claims(iat=None)), taken=False),
    "another issuer": Case(
        lambda: signed(claims(iss="https://elsewhere.example")), taken=False, issuer=ISSUER
    ),
    "no issuer where one is expected": Case(lambda: signed(claims()), False, issuer=ISSUER),
    "signed with another secret": Case(
        lambda: signed(claims(), key="another-secret-0123456789abcdef0123"), taken=False
    ),
    "signed with HS512 and our secret": Case(
        lambda: signed(claims(), algorithm="HS512"), taken=False
    ),
    "an HS256 signature under a header naming HS512": Case(
        lambda: hs256_under({"alg": "HS512", "typ": "JWT"}), taken=False
    ),
    'alg "none", unsigned': Case(lambda: jwt.encode(claims(), None, "none"), taken=False),
    "claims swapped under a valid signature": Case(
        lambda: with_segment(
            signed(claims(sub="user-1")), 1, signed(claims(sub="user-2")).split(".")[1]
        ),
        taken=False,
    ),
    "a critical extension": Case(lambda: signed(claims(), headers={"crit": ["exp"]}), False),
    "claims that are not an object": Case(lambda: signed_bytes(b'["user-1"]'), taken=False),
    "claims that are not JSON": Case(lambda: signed_bytes(b"user-1"), taken=False),
    "junk in the signature": Case(
        lambda: with_segment(signed(claims()), 2, "!!" + signed(claims()).split(".")[2]), False
    ),
    "two segments": Case(lambda: signed(claims()).rsplit(".", 1)[0], taken=False),
    "four segments": Case(lambda: signed(claims()) + ".e30", taken=False),
    "not a token": Case(lambda: "not-a-jwt", taken=False),
    "empty": Case(lambda: "", taken=False),
    "not ASCII": Case(lambda: signed(claims()) + "é", taken=False),
}


def ours_take(case: Case) -> bool:
    try:
        jwt_hs256.decode(
            case.token(), TEST_SECRET, audience=AUDIENCE, issuer=case.issuer, required=REQUIRED
        )
    except jwt_hs256.TokenError:
        return False
    return True


def pyjwt_takes(case: Case) -> bool:
    try:
        jwt.decode(
            case.token(),
            TEST_SECRET,
            algorithms=["HS256"],
            audience=AUDIENCE,
            issuer=case.issuer,
            options={"require": list(REQUIRED)},
        )
    except jwt.PyJWTError:
        return False
    return True


@pytest.mark.parametrize("name", CASES)
def test_each_token_is_taken_or_refused_as_stated(name: str) -> None:
    assert ours_take(CASES[name]) is CASES[name].taken


@pytest.mark.parametrize("name", CASES)
def test_pyjwt_decides_each_token_the_same(name: str) -> None:
    assert pyjwt_takes(CASES[name]) is CASES[name].taken


@pytest.mark.parametrize(
    "payload",
    [claims(), claims(iss=ISSUER, sub="ünïcode ✓", aud=[AUDIENCE, "x"]), {}],
    ids=["as issued", "issuer, unicode and a list", "empty"],
)
def test_a_token_encoded_here_is_pyjwts_byte_for_byte(payload: dict[str, Any]) -> None:
    assert jwt_hs256.encode(payload, TEST_SECRET) == signed(payload)


def test_a_backend_that_never_speaks_mcp_never_loads_cryptography(tmp_path: Path) -> None:
    """`cryptography` (8.5 MB) is the MCP SDK's; signing up, signing in and chatting do not
    load it. (PyJWT would: it imports `cryptography` whenever it is installed.)"""
    script = f"""
import asyncio, sys, httpx
from backend_testkit import make_settings
from todo_backend.main import create_app

async def main():
    app = create_app(make_settings("sqlite+aiosqlite:///{tmp_path}/todo.db"))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            account = {{"email": "ann@example.com", "password": "a-long-password", "name": "Ann"}}
            user = (await client.post("/api/auth/sign-up", json=account)).json()["user"]
            signed_in = await client.post("/api/auth/sign-in", json=account)
            headers = {{"Authorization": "Bearer " + signed_in.json()["token"]}}
            me = await client.get("/api/auth/me", headers=headers)
            chat = await client.post(
                f"/api/{{user['id']}}/chat", json={{"message": "add buy milk"}}, headers=headers
            )
            print(me.status_code, chat.status_code, "cryptography" in sys.modules)

asyncio.run(main())
"""
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},  # the tests' import paths
    )
    assert result.stdout.split()[-3:] == ["200", "200", "False"]
