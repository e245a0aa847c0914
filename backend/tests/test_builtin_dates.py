"""How the built-in agent reads dates, priorities, tags and list questions, from a fixed "now" in
a zone that is not UTC: "tomorrow at 5pm" is 5pm in the user's zone on the day after `now`
there, and a date it cannot read is reported, never guessed."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from todo_backend.agent.builtin.dates import Unreadable, period, resolve, split_when, spoken
from todo_backend.agent.builtin.plans import read_plan, read_priority, read_tags
from todo_backend.agent.builtin.questions import read_filter

NEW_YORK = ZoneInfo("America/New_York")
# Monday 7 December 2026, 15:30 in New York (20:30 UTC).
NOW = datetime(2026, 12, 7, 20, 30, tzinfo=ZoneInfo("UTC"))


def local(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=NEW_YORK)


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("tomorrow at 5pm", local(2026, 12, 8, 17)),
        ("5pm tomorrow", local(2026, 12, 8, 17)),
        ("tomorrow", local(2026, 12, 8, 17)),
        ("today", local(2026, 12, 7, 17)),
        ("tonight", local(2026, 12, 7, 20)),
        ("at 8 tonight", local(2026, 12, 7, 20)),
        ("this evening", local(2026, 12, 7, 18)),
        ("next Friday", local(2026, 12, 11, 17)),
        ("on Friday", local(2026, 12, 11, 17)),
        ("friday at 9", local(2026, 12, 11, 9)),
        ("Thursday", local(2026, 12, 10, 17)),
        ("monday", local(2026, 12, 14, 17)),  # today is Monday: the next one
        ("by Monday morning", local(2026, 12, 14, 9)),
        ("on the 3rd", local(2027, 1, 3, 17)),  # the 3rd of December is past
        ("the 20th", local(2026, 12, 20, 17)),
        ("in 2 hours", local(2026, 12, 7, 17, 30)),
        ("in 30 minutes", local(2026, 12, 7, 16)),
        ("in 3 days", local(2026, 12, 10, 17)),
        ("in a week", local(2026, 12, 14, 17)),
        ("end of the month", local(2026, 12, 31, 17)),
        ("by the end of the week", local(2026, 12, 13, 17)),
        ("next week", local(2026, 12, 14, 17)),
        ("at 9am", local(2026, 12, 8, 9)),  # 9am today is past
        ("at 5:30pm", local(2026, 12, 7, 17, 30)),
        ("at noon tomorrow", local(2026, 12, 8, 12)),
        ("December 20", local(2026, 12, 20, 17)),
        ("on 3 Jan", local(2027, 1, 3, 17)),
        ("Jan 3rd at 10am", local(2027, 1, 3, 10)),
        ("day after tomorrow", local(2026, 12, 9, 17)),
    ],
)
def test_a_date_is_read_in_the_users_zone_from_now(phrase: str, expected: datetime) -> None:
    due = resolve(phrase, NOW, NEW_YORK)
    assert due == expected
    assert isinstance(due, datetime) and due.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize("phrase", ["on the 45th", "31 February", "at 25pm", "the 0th", "at 13pm"])
def test_a_date_that_is_no_date_is_unreadable_not_guessed(phrase: str) -> None:
    assert resolve(phrase, NOW, NEW_YORK) == Unreadable(phrase)


def test_tomorrow_is_the_users_tomorrow_not_utcs() -> None:
    # 03:00 UTC on Tuesday is still 22:00 on Monday in New York.
    late = datetime(2026, 12, 8, 3, 0, tzinfo=ZoneInfo("UTC"))
    assert resolve("tomorrow at 5pm", late, NEW_YORK) == local(2026, 12, 8, 17)
    assert resolve("tomorrow at 5pm", late, ZoneInfo("UTC")) == datetime(
        2026, 12, 9, 17, tzinfo=ZoneInfo("UTC")
    )


def test_a_date_across_the_clock_change_has_that_days_offset() -> None:
    # Clocks go forward in New York on Sunday 8 March 2026.
    saturday = datetime(2026, 3, 7, 15, 0, tzinfo=ZoneInfo("UTC"))
    due = resolve("tomorrow at 5pm", saturday, NEW_YORK)
    assert isinstance(due, datetime)
    assert due.isoformat() == "2026-03-08T17:00:00-04:00"


@pytest.mark.parametrize(
    ("text", "rest", "phrase"),
    [
        ("call mom tomorrow at 5pm", "call mom", "tomorrow at 5pm"),
        ("pay rent by the end of the month", "pay rent", "by the end of the month"),
        ("submit the report by Monday morning", "submit the report", "by Monday morning"),
        ("book flights in 2 hours", "book flights", "in 2 hours"),
        ("dentist on the 45th", "dentist", "on the 45th"),
        ("renew passport on the 3rd", "renew passport", "on the 3rd"),
        ("call mom next Friday", "call mom", "next Friday"),
        ("email the boss, due friday at 9", "email the boss", "due friday at 9"),
        ("read chapter 3", "read chapter 3", None),
        ("call mom at home", "call mom at home", None),
        ("buy 5 apples", "buy 5 apples", None),
        ("plan the monday meeting", "plan the monday meeting", None),
    ],
)
def test_a_date_is_split_off_the_title(text: str, rest: str, phrase: str | None) -> None:
    assert split_when(text) == (rest, phrase)


def test_a_date_is_spoken_in_the_users_zone() -> None:
    assert spoken(local(2026, 12, 8, 17), NOW, NEW_YORK) == "Tue 8 Dec, 17:00"
    utc = datetime(2026, 12, 8, 22, 0, tzinfo=ZoneInfo("UTC"))
    assert spoken(utc, NOW, NEW_YORK) == "Tue 8 Dec, 17:00"
    assert spoken(local(2027, 1, 3, 9), NOW, NEW_YORK) == "Sun 3 Jan 2027, 09:00"


@pytest.mark.parametrize(
    ("phrase", "start", "end"),
    [
        ("today", local(2026, 12, 7, 0), local(2026, 12, 8, 0)),
        ("tomorrow", local(2026, 12, 8, 0), local(2026, 12, 9, 0)),
        ("this week", local(2026, 12, 7, 0), local(2026, 12, 14, 0)),
        ("next week", local(2026, 12, 14, 0), local(2026, 12, 21, 0)),
        ("this month", local(2026, 12, 1, 0), local(2027, 1, 1, 0)),
    ],
)
def test_a_period_is_whole_days_in_the_users_zone(
    phrase: str, start: datetime, end: datetime
) -> None:
    assert period(phrase, NOW, NEW_YORK) == (start, end)


@pytest.mark.parametrize(
    ("text", "rest", "priority"),
    [
        ("call the bank, urgent", "call the bank", "high"),
        ("urgent: call the bank", "call the bank", "high"),
        ("a high priority task to renew passport", "a task to renew passport", "high"),
        ("water the plants - not important", "water the plants", "low"),
        ("low priority: sort the photos", "sort the photos", "low"),
        ("call the bank asap", "call the bank", "high"),
        ("buy milk", "buy milk", None),
        ("prepare the urgent care forms", "prepare the urgent care forms", None),
    ],
)
def test_a_priority_is_read_and_taken_out(text: str, rest: str, priority: str | None) -> None:
    assert read_priority(text) == (rest, priority)


@pytest.mark.parametrize(
    ("text", "rest", "tags"),
    [
        ("buy nails #home", "buy nails", ["home"]),
        ("email the boss #work #Q4", "email the boss", ["work", "q4"]),
        ("buy paint, tag it home", "buy paint", ["home"]),
        ("buy paint tagged home and diy", "buy paint", ["home", "diy"]),
        ("fix issue #12 in the app", "fix issue #12 in the app", []),
        ("buy bread", "buy bread", []),
    ],
)
def test_tags_are_read_and_taken_out(text: str, rest: str, tags: list[str]) -> None:
    assert read_tags(text) == (rest, tags)


def test_a_plan_keeps_only_the_title_in_the_title() -> None:
    plan = read_plan("urgent: email the boss tomorrow at 9am #work")
    assert (plan.title, plan.when, plan.priority, plan.tags) == (
        "email the boss",
        "tomorrow at 9am",
        "high",
        ["work"],
    )


# A question that filters lists what is still to do unless it names a status: done tasks are not
# what anyone plans with. Overdue tasks are pending ones by definition.
@pytest.mark.parametrize(
    ("question", "expected"),
    [
        (
            "what's due this week?",
            {
                "status": "pending",
                "due_after": local(2026, 12, 7, 0).isoformat(),
                "due_before": local(2026, 12, 14, 0).isoformat(),
                "sort": "due_at",
            },
        ),
        (
            "what's due tomorrow",
            {
                "status": "pending",
                "due_after": local(2026, 12, 8, 0).isoformat(),
                "due_before": local(2026, 12, 9, 0).isoformat(),
                "sort": "due_at",
            },
        ),
        ("anything overdue?", {"overdue": True, "sort": "due_at"}),
        ("show my high priority tasks", {"status": "pending", "priority": ["high"]}),
        ("what's urgent", {"status": "pending", "priority": ["high"]}),
        ("show my completed high priority tasks", {"status": "completed", "priority": ["high"]}),
        ("#work tasks", {"status": "pending", "tags": ["work"]}),
        ("show tasks tagged home", {"status": "pending", "tags": ["home"]}),
        ("which ones have I finished?", {"status": "completed"}),
        ("what's left", {"status": "pending"}),
        ("show my tasks by due date", {"sort": "due_at"}),
        ("show my tasks", {}),
        ("what's due?", {"status": "pending", "sort": "due_at"}),
        ("what's coming up", {"status": "pending", "sort": "due_at"}),
    ],
)
def test_a_question_becomes_list_filters(question: str, expected: dict[str, object]) -> None:
    assert read_filter(question, NOW, NEW_YORK).arguments() == expected
