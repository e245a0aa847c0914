"""Bodies are limited while they are read, before the forms or the proxy parse them: the real
frontend process over real sockets, its memory measured from /proc."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from testkit import Service, free_port, run_service

SECRET = "frontend-test-secret-0123456789abcdef0123456789"
MIB = 1024 * 1024


@pytest.fixture
def frontend(tmp_path: Path) -> Iterator[Service]:
    env = {
        "BACKEND_URL": f"http://127.0.0.1:{free_port()}",  # never reached: the limit comes first
        "BETTER_AUTH_SECRET": SECRET,
        "LOCAL_MODE": "false",
    }
    with run_service("todo-frontend", env, tmp_path / "frontend.log") as service:
        yield service


def rss_mib(service: Service) -> float:
    for line in Path(f"/proc/{service.process.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/sign-in", "application/x-www-form-urlencoded"),
        ("/sign-up", "multipart/form-data; boundary=xyz"),
        ("/api/someone/tasks", "application/json"),
    ],
)
def test_an_oversized_body_is_413_before_it_is_parsed(
    frontend: Service, path: str, content_type: str
) -> None:
    before = rss_mib(frontend)
    response = httpx.post(
        f"{frontend.url}{path}",
        content=b"a=b&" * (2 * MIB),  # 8 MiB of tiny form fields: costly to parse
        headers={"content-type": content_type},
        timeout=60,
    )
    growth = rss_mib(frontend) - before
    print(f"\n{path}: 8 MiB body -> {response.status_code}, RSS +{growth:.1f} MiB")
    assert response.status_code == 413
    assert response.json()["detail"] == "Request body is too large"
    assert growth < 20


def test_a_chunked_flood_is_cut_at_the_limit(frontend: Service) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(60):
            yield b"a=b&" * (MIB // 4)

    before = rss_mib(frontend)
    try:
        status = httpx.post(
            f"{frontend.url}/sign-in",
            content=chunks(),
            headers={"content-type": "application/x-www-form-urlencoded"},
            timeout=60,
        ).status_code
    except httpx.TransportError:  # past the drain bound the server may close on us
        status = 0
    growth = rss_mib(frontend) - before
    print(f"\n/sign-in: 60 MiB chunked body -> {status or 'closed'}, RSS +{growth:.1f} MiB")
    assert status in (413, 0)
    assert growth < 20
