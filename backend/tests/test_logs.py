"""The JSON log lines both services write (`todo_common.logs`): one object per line, whatever
the fields of a log call hold."""

import json
import logging
from datetime import UTC, datetime

import pytest

from todo_common.logs import configure_logging, log_request, timestamp


def test_every_line_is_one_json_object_whatever_its_fields_hold(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("info")
    logger = logging.getLogger("todo_test.logs")
    fields = {
        "when": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        "huge": 10**30,  # past 64 bits
        "thing": object(),
        "counts": {1: "one"},
    }
    logger.info("odd fields", extra=fields)
    try:
        raise ValueError("boom")
    except ValueError:
        logger.exception("it failed")

    first, second = (json.loads(line) for line in capsys.readouterr().out.splitlines())

    assert (first["level"], first["logger"], first["message"]) == (
        "info",
        "todo_test.logs",
        "odd fields",
    )
    assert first["when"].startswith("2026-01-02")
    assert first["huge"] == 10**30
    assert first["thing"].startswith("<object object")
    assert first["counts"] == {"1": "one"}
    assert second["level"] == "error"
    assert "ValueError: boom" in second["exception"]


def test_a_request_line_is_written_as_a_log_call_would_write_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("info")
    logger = logging.getLogger("todo_test.request")
    fields = {"method": "GET", "path": "/x", "status": 200, "request_id": "abc"}
    logger.info("request", extra=fields)
    log_request(logger, fields)
    called, written = (json.loads(line) for line in capsys.readouterr().out.splitlines())

    for line in (called, written):
        assert datetime.fromisoformat(line.pop("time")).tzinfo == UTC
    assert (
        written
        == called
        == {
            "level": "info",
            "logger": "todo_test.request",
            "message": "request",
            **fields,
        }
    )


def test_request_lines_follow_the_log_level(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("warning")
    log_request(logging.getLogger("todo_test.request"), {"status": 200})
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize(
    "instant",
    [
        datetime(2026, 11, 27, 17, 5, 9, 0, tzinfo=UTC),
        datetime(2026, 11, 27, 17, 5, 9, 999_000, tzinfo=UTC),
        datetime(2026, 11, 27, 23, 59, 59, 500_000, tzinfo=UTC),
        datetime(2024, 2, 29, 0, 0, 0, 1_000, tzinfo=UTC),
        datetime(1970, 1, 1, 0, 0, 0, 42_000, tzinfo=UTC),
    ],
)
def test_timestamps_are_written_as_datetime_writes_them(instant: datetime) -> None:
    assert timestamp(instant.timestamp()) == instant.isoformat(timespec="milliseconds")
