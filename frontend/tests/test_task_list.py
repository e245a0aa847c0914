"""The dashboard list's query read from a page URL, and due dates as the list says them."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from starlette.datastructures import QueryParams

from todo_frontend.task_list import TaskQuery, due_text, is_time_zone


def _query(url_query: str) -> TaskQuery:
    return TaskQuery.of(QueryParams(url_query))


def test_a_url_query_becomes_the_apis_list_parameters() -> None:
    query = _query(
        "status=pending&priority=high&priority=low&tag=work&tag=home&overdue=true"
        "&q=+call++mom+&sort=due_at"
    )
    assert query.status == "pending"
    assert query.narrows
    # The status is left out: the counts of every status come from the one list.
    assert query.api_parameters() == [
        ("priority", "high"),
        ("priority", "low"),
        ("tag", "work"),
        ("tag", "home"),
        ("overdue", "true"),
        ("q", "call mom"),
        ("sort", "due_at"),
    ]
    assert query.href_with_status("completed") == (
        "/dashboard?status=completed&priority=high&priority=low&tag=work&tag=home"
        "&overdue=true&q=call+mom&sort=due_at"
    )
    assert query.href_with_status("all").startswith("/dashboard?priority=high")


@pytest.mark.parametrize(
    "url_query",
    [
        "",
        "status=bogus",
        "priority=urgent",
        "tag=Not+A+Tag&tag=c%2B%2B",
        "overdue=yes",
        "q=+++",
        "sort=deadline",
    ],
)
def test_values_the_api_would_refuse_are_dropped(url_query: str) -> None:
    query = _query(url_query)
    assert query == TaskQuery()
    assert not query.narrows
    assert query.api_parameters() == []
    assert query.href_with_status("all") == "/dashboard"


def test_repeated_tags_count_once_and_at_most_ten() -> None:
    tags = "&".join(f"tag=t{n}" for n in range(12))
    assert _query(f"tag=t1&{tags}").tags == tuple(f"t{n}" for n in [1, 0, *range(2, 10)])


NOW = datetime(2026, 12, 8, 10, 0, tzinfo=UTC)  # a Tuesday; 11:00 in Paris, 05:00 in New York
PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("due_at", "zone", "said"),
    [
        ("2026-12-08T16:00:00Z", PARIS, "today at 5:00 PM"),
        ("2026-12-08T23:30:00Z", PARIS, "tomorrow at 12:30 AM"),
        ("2026-12-08T23:30:00Z", NEW_YORK, "today at 6:30 PM"),
        ("2026-12-07T08:05:00Z", PARIS, "yesterday at 9:05 AM"),
        ("2026-12-08T04:00:00Z", NEW_YORK, "yesterday at 11:00 PM"),
        ("2026-12-11T11:00:00Z", PARIS, "Fri, Dec 11 at 12:00 PM"),
        ("2026-07-01T12:00:00Z", PARIS, "Wed, Jul 1 at 2:00 PM"),  # summer time
        ("2027-01-04T09:00:00Z", PARIS, "Mon, Jan 4, 2027 at 10:00 AM"),
    ],
)
def test_due_dates_are_said_in_the_users_zone(due_at: str, zone: ZoneInfo, said: str) -> None:
    assert due_text(datetime.fromisoformat(due_at), zone, NOW) == said


@pytest.mark.parametrize(
    ("name", "known"),
    [
        ("Europe/Paris", True),
        ("UTC", True),
        ("America/Argentina/Buenos_Aires", True),
        ("Mars/Olympus", False),
        ("", False),
        ("../etc/passwd", False),
        ("europe/paris", False),
    ],
)
def test_time_zone_names_are_the_iana_ones(name: str, known: bool) -> None:
    assert is_time_zone(name) is known
