"""The JSON log lines both services write (`todo_common.logs`): one object per line, whatever
the fields of a log call hold."""

import json
import logging
from datetime import UTC, datetime

import pytest

from todo_common.logs import configure_logging


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
