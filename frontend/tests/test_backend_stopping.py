"""The backend stops (SIGTERM, as in a rolling upgrade) while the frontend's proxy keeps a
connection open to it: the browser's request in that moment is answered, not refused with 503."""

import signal
from pathlib import Path

from testkit import backend_test_env, refuses_connections, run_service, wait_until


def test_a_request_proxied_while_the_backend_stops_is_answered(
    frontend_for, sign_up, tmp_path: Path
) -> None:
    env = backend_test_env(f"sqlite:///{tmp_path}/todo.db")
    with (
        run_service("todo-backend", env, tmp_path / "backend.log") as backend,
        frontend_for(backend.url) as browser,
    ):
        sign_up(browser, "Steady")
        tasks = f"/api/{browser.get('/api/auth/me').json()['id']}/tasks"
        assert browser.get(tasks).status_code == 200  # the proxy now holds a kept-alive connection
        backend.process.send_signal(signal.SIGTERM)
        wait_until(
            lambda: refuses_connections(backend.url),
            seconds=10,
            what="the backend to stop accepting",
        )

        response = browser.get(tasks)

        assert response.status_code == 200, response.text
        assert response.json() == []
        assert backend.process.wait(timeout=30) in (0, -signal.SIGTERM)
