"""Sign-up, sign-in, tokens and the throttle on password guessing, over HTTP."""

import time

import httpx
import jwt
import pytest

from backend_testkit import TEST_SECRET, SignUp


async def test_sign_up_returns_a_token_for_the_new_user(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/auth/sign-up",
        json={"email": "  Grace@Example.COM ", "password": "hopper-1906", "name": " Grace "},
    )
    assert response.status_code == 201
    body = response.json()
    assert body["user"]["email"] == "grace@example.com"
    assert body["user"]["name"] == "Grace"
    assert "password" not in response.text and "password_hash" not in response.text
    claims = jwt.decode(
        body["token"], TEST_SECRET, algorithms=["HS256"], audience="todo-chatbot-api"
    )
    assert claims["sub"] == body["user"]["id"]
    assert claims["exp"] - claims["iat"] == 7 * 24 * 3600
    assert abs(claims["iat"] - time.time()) < 60


async def test_duplicate_email_is_409_whatever_its_case(
    client: httpx.AsyncClient, sign_up: SignUp
) -> None:
    account = await sign_up()
    response = await client.post(
        "/api/auth/sign-up",
        json={"email": account.email.upper(), "password": "another-pass", "name": "Copy"},
    )
    assert response.status_code == 409
    assert response.json() == {"detail": "An account with this email already exists"}


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        ({"email": "not-an-email", "password": "Pz7-long-enough", "name": "X"}, "email"),
        ({"email": "a@example.com", "password": "Pz7-s", "name": "X"}, "password"),
        ({"email": "a@example.com", "password": "Pz7-long-enough", "name": ""}, "name"),
        ({"email": "a@example.com", "name": "X"}, "password"),
    ],
)
async def test_invalid_sign_up_is_422_with_a_clear_message(
    client: httpx.AsyncClient, body: dict[str, str], complaint: str
) -> None:
    response = await client.post("/api/auth/sign-up", json=body)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail.startswith(complaint)
    # Submitted values are never echoed back (they may be passwords).
    assert "Pz7-" not in response.text


async def test_sign_in_with_the_right_password(client: httpx.AsyncClient, sign_up: SignUp) -> None:
    account = await sign_up()
    response = await client.post(
        "/api/auth/sign-in", json={"email": account.email.upper(), "password": account.password}
    )
    assert response.status_code == 200
    token = response.json()["token"]
    me = await client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.json()["id"] == account.id
    assert me.json()["email"] == account.email


async def test_wrong_password_and_unknown_email_get_the_same_401(
    client: httpx.AsyncClient, sign_up: SignUp
) -> None:
    account = await sign_up()
    wrong = await client.post(
        "/api/auth/sign-in", json={"email": account.email, "password": "wrong password"}
    )
    unknown = await client.post(
        "/api/auth/sign-in", json={"email": "nobody@example.com", "password": "whatever1"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == {"detail": "Wrong email or password"}


async def test_repeated_failures_are_throttled_with_retry_after(
    client: httpx.AsyncClient, sign_up: SignUp
) -> None:
    account = await sign_up()
    bad = {"email": account.email, "password": "guess-guess"}
    statuses = [(await client.post("/api/auth/sign-in", json=bad)).status_code for _ in range(5)]
    assert statuses == [401] * 5
    throttled = await client.post(
        "/api/auth/sign-in", json={"email": account.email, "password": account.password}
    )
    assert throttled.status_code == 429
    assert 1 <= int(throttled.headers["Retry-After"]) <= 300
    assert "Too many failed sign-ins" in throttled.json()["detail"]
    # Another account is not affected.
    other = await sign_up("Bob")
    ok = await client.post(
        "/api/auth/sign-in", json={"email": other.email, "password": other.password}
    )
    assert ok.status_code == 200


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Bearer not-a-jwt",
        "Basic dXNlcjpwYXNz",
        "Bearer " + jwt.encode({"sub": "x", "iat": 1, "exp": 2}, TEST_SECRET, algorithm="HS256"),
        "Bearer "
        + jwt.encode(
            {"sub": "x", "iat": int(time.time()), "exp": int(time.time()) + 60},
            "a-different-secret-of-enough-length-000000",
            algorithm="HS256",
        ),
    ],
    ids=["missing", "garbage", "basic", "expired", "foreign-signature"],
)
async def test_me_without_a_valid_token_is_401(
    client: httpx.AsyncClient, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = await client.get("/api/auth/me", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json()["detail"].startswith("Sign in first")


async def test_a_token_without_our_audience_is_401(
    client: httpx.AsyncClient, sign_up: SignUp
) -> None:
    account = await sign_up()
    now = int(time.time())
    claims = {"sub": account.id, "ver": 0, "iat": now, "exp": now + 60}
    token = jwt.encode(claims, TEST_SECRET, algorithm="HS256")
    response = await client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
