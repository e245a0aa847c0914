"""People who keep using the app while a deployment changes, each from a thread of their own:
every answer that is not what they expect is counted by what it was, and the first few are kept
as they saw them. The rolling-upgrade and rollback tests of tests/cluster assert that none were."""

import threading
import time
from collections import Counter
from collections.abc import Callable

import httpx

# A thread outlives a hung deployment by this much at most.
LOAD_SECONDS_MAX = 900
FAILURES_KEPT = 5

# One thing a person does; it raises UnexpectedAnswerError (or one of httpx's errors) when
# what they see is wrong.
Step = Callable[[], None]


class UnexpectedAnswerError(Exception):
    """An answer a person did not expect: `outcome` is what is counted, `detail` what is kept."""

    def __init__(self, outcome: str, detail: str) -> None:
        super().__init__(f"{outcome}: {detail}")
        self.outcome = outcome
        self.detail = detail


def expect(response: httpx.Response, status: int) -> httpx.Response:
    """The response, when its status is `status`; else an UnexpectedAnswerError naming the
    request's method and the status."""
    if response.status_code != status:
        outcome = f"{response.request.method} {response.status_code}"
        raise UnexpectedAnswerError(outcome, response.text[:200])
    return response


class Load:
    """Each step done over and over, each in its own thread, from `with` to its end, with
    `pause` seconds between one time and the next (0: back to back)."""

    def __init__(self, *steps: Step, pause: float = 0.0) -> None:
        self.outcomes: Counter[str] = Counter()
        self.failures: list[str] = []  # the first few, as the person saw them
        self._pause = pause
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(s,), daemon=True) for s in steps]

    def _run(self, step: Step) -> None:
        deadline = time.monotonic() + LOAD_SECONDS_MAX
        while not self._stop.is_set() and time.monotonic() < deadline:
            try:
                step()
                outcome = "ok"
            except UnexpectedAnswerError as unexpected:
                outcome, detail = unexpected.outcome, unexpected.detail
            except httpx.HTTPError as error:
                outcome, detail = type(error).__name__, str(error)
            with self._lock:
                self.outcomes[outcome] += 1
                if outcome != "ok" and len(self.failures) < FAILURES_KEPT:
                    self.failures.append(f"{time.strftime('%H:%M:%S')} {outcome}: {detail}")
            # A person's pace; set() ends the wait at once.
            self._stop.wait(self._pause)

    def __enter__(self) -> "Load":
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()

    @property
    def errors(self) -> int:
        with self._lock:
            return sum(count for outcome, count in self.outcomes.items() if outcome != "ok")
