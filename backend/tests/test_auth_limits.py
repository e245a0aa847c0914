"""Sign-up and sign-in limits, against the real server process over real sockets.

Each test starts `todo-backend serve` with the limits it exercises; the client address the
server sees is 127.0.0.1 unless a trusted proxy (TRUSTED_PROXIES) names another one in
X-Forwarded-For, or the frontend names one in a header signed with PROXY_SECRET."""

import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from backend_testkit import TEST_SECRET
from testkit import Service, run_service
from todo_common.client_address import CLIENT_ADDRESS_HEADER, sign_client_address

PASSWORD = "correct horse"
PROXY_SECRET = "proxy-secret-0123456789abcdef0123456789abcdef"


@contextmanager
def backend(tmp_path: Path, **settings: str) -> Iterator[Service]:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/todo.db", "BETTER_AUTH_SECRET": TEST_SECRET}
    with run_service("todo-backend", {**env, **settings}, tmp_path / "backend.log") as service:
        yield service


def new_email() -> str:
    return f"user-{uuid.uuid4().hex[:10]}@example.com"


def sign_up(url: str, email: str, *, forwarded_for: str | None = None) -> httpx.Response:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return httpx.post(
        f"{url}/api/auth/sign-up",
        json={"email": email, "password": PASSWORD, "name": "Ann"},
        headers=headers,
        timeout=60,
    )


def sign_in(
    url: str,
    email: str,
    password: str,
    *,
    forwarded_for: str | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    headers = dict(headers or {})
    if forwarded_for:
        headers["X-Forwarded-For"] = forwarded_for
    return httpx.post(
        f"{url}/api/auth/sign-in",
        json={"email": email, "password": password},
        headers=headers,
        timeout=60,
    )


def assert_too_many(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    assert int(response.headers["Retry-After"]) >= 1
    assert response.json()["detail"].startswith("Too many")


def test_sign_up_is_limited_per_client_address(tmp_path: Path) -> None:
    with backend(tmp_path, SIGN_UP_PER_ADDRESS_PER_HOUR="3") as service:
        assert [sign_up(service.url, new_email()).status_code for _ in range(3)] == [201] * 3
        over = sign_up(service.url, new_email())
        assert_too_many(over)
        assert 3000 < int(over.headers["Retry-After"]) <= 3600
        # 127.0.0.1 is a trusted proxy by default: the address it forwards is another client.
        assert sign_up(service.url, new_email(), forwarded_for="203.0.113.7").status_code == 201


def test_an_untrusted_peer_cannot_claim_another_address(tmp_path: Path) -> None:
    with backend(
        tmp_path, SIGN_UP_PER_ADDRESS_PER_HOUR="1", TRUSTED_PROXIES="10.255.255.1"
    ) as service:
        assert sign_up(service.url, new_email()).status_code == 201
        assert_too_many(sign_up(service.url, new_email(), forwarded_for="203.0.113.8"))


def test_sign_up_and_sign_in_together_are_limited_overall(tmp_path: Path) -> None:
    with backend(tmp_path, AUTH_REQUESTS_PER_MINUTE="4") as service:
        email = new_email()
        assert sign_up(service.url, email, forwarded_for="203.0.113.1").status_code == 201
        statuses = [
            sign_in(service.url, email, PASSWORD, forwarded_for=f"203.0.113.{n}").status_code
            for n in range(2, 5)
        ]
        assert statuses == [200] * 3
        assert_too_many(sign_in(service.url, email, PASSWORD, forwarded_for="198.51.100.1"))


def test_parallel_wrong_passwords_are_counted_before_they_are_verified(tmp_path: Path) -> None:
    with backend(tmp_path, SIGN_IN_MAX_FAILURES="5") as service:
        email = new_email()
        assert sign_up(service.url, email).status_code == 201
        with ThreadPoolExecutor(max_workers=20) as pool:
            guesses = list(
                pool.map(lambda _: sign_in(service.url, email, "wrong-guess"), range(20))
            )
        statuses = sorted(response.status_code for response in guesses)
        assert statuses == [401] * 5 + [429] * 15
        assert_too_many(next(r for r in guesses if r.status_code == 429))
        # The guesser is locked out, even with the right password...
        assert_too_many(sign_in(service.url, email, PASSWORD))
        # ...but the owner, from another address, is not.
        owner = sign_in(service.url, email, PASSWORD, forwarded_for="198.51.100.20")
        assert owner.status_code == 200, owner.text


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """SQLite (counted in the process), or an empty PostgreSQL database of its own (counted in
    the table every replica shares)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/todo.db"
    url: str = request.getfixturevalue("fresh_postgres_url")
    return url


def from_frontend(
    address: str, *, secret: str = PROXY_SECRET, at: float | None = None
) -> dict[str, str]:
    """The header the frontend sends for a visitor at `address`."""
    return {CLIENT_ADDRESS_HEADER: sign_client_address(secret, address, at)}


def tampered(signed: str) -> str:
    """The signed value with its signature's last digit changed."""
    return signed[:-1] + ("1" if signed.endswith("0") else "0")


def test_only_an_address_the_frontend_signed_moves_the_count(tmp_path: Path, database: str) -> None:
    """Through a NodePort every caller may be a "private network" peer: no header it writes
    itself changes the address it is counted by, only the frontend's signature does."""
    with backend(
        tmp_path, DATABASE_URL=database, PROXY_SECRET=PROXY_SECRET, TRUSTED_PROXIES="10.255.255.1"
    ) as service:
        email = new_email()
        assert sign_up(service.url, email).status_code == 201
        forged = [
            {"X-Forwarded-For": "203.0.113.1"},
            {CLIENT_ADDRESS_HEADER: "203.0.113.2"},
            from_frontend("203.0.113.3", secret="another-key-0123456789abcdef0123456789abcdef"),
            from_frontend("203.0.113.4", at=time.time() - 120),  # stale: replayed
            {CLIENT_ADDRESS_HEADER: tampered(from_frontend("203.0.113.5")[CLIENT_ADDRESS_HEADER])},
        ]
        statuses = [sign_in(service.url, email, "wrong", headers=h).status_code for h in forged]
        assert statuses == [401] * 5
        assert_too_many(sign_in(service.url, email, "wrong", forwarded_for="203.0.113.6"))
        # The owner, whose address the frontend signs, is not locked out by the guesser.
        owner = sign_in(service.url, email, PASSWORD, headers=from_frontend("198.51.100.20"))
        assert owner.status_code == 200, owner.text


def test_guessing_from_many_addresses_meets_the_account_ceiling(
    tmp_path: Path, database: str
) -> None:
    with backend(
        tmp_path,
        DATABASE_URL=database,
        PROXY_SECRET=PROXY_SECRET,
        SIGN_IN_MAX_FAILURES_PER_ACCOUNT="4",
    ) as service:
        email = new_email()
        assert sign_up(service.url, email).status_code == 201
        guesses = [
            sign_in(service.url, email, "wrong", headers=from_frontend(f"203.0.113.{n}"))
            for n in range(1, 6)
        ]
        assert [r.status_code for r in guesses] == [401] * 4 + [429]
        assert_too_many(guesses[-1])
        assert 1 <= int(guesses[-1].headers["Retry-After"]) <= 2
        # Another account is not slowed down.
        other = new_email()
        assert sign_up(service.url, other).status_code == 201
        assert sign_in(service.url, other, PASSWORD).status_code == 200


def test_the_owner_signs_in_from_another_address_while_a_guesser_is_locked_out(
    tmp_path: Path, database: str
) -> None:
    with backend(tmp_path, DATABASE_URL=database, PROXY_SECRET=PROXY_SECRET) as service:
        email = new_email()
        assert sign_up(service.url, email).status_code == 201
        guesser = from_frontend("203.0.113.66")
        statuses = [
            sign_in(service.url, email, "wrong", headers=guesser).status_code for _ in range(6)
        ]
        assert statuses == [401] * 5 + [429]
        assert_too_many(sign_in(service.url, email, PASSWORD, headers=guesser))
        owner = sign_in(service.url, email, PASSWORD, headers=from_frontend("198.51.100.7"))
        assert owner.status_code == 200, owner.text
