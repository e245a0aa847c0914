"""Planning on the dashboard in a real browser: due dates, priorities and tags through the forms;
filter chips, search and sort that survive a reload; overdue tasks; the user's time zone from
sign-up to the dashboard; and axe-core finding nothing wrong with any of it."""

import re
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Locator, Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.postgres]

# Fixed dates, so what the list says never depends on the day the test runs: the future one
# shows its year until 2030, the past one is overdue for ever.
FUTURE_DUE = "2030-03-14T17:00"  # a Thursday; Paris is UTC+1 then (summer time starts Mar 31)
PAST_DUE = "2020-01-06T09:00"  # a Monday
REFUSED = (
    "Failed to load resource: the server responded with a status of 422 (Unprocessable Entity)"
)


def _titles(page: Page) -> Locator:
    return page.locator(".task .task-title")


def _task(page: Page, title: str) -> Locator:
    return page.locator(".task").filter(has=page.get_by_text(title, exact=True))


def _chips(page: Page) -> Locator:
    return page.get_by_role("group", name="Filter tasks")


def _add_through_the_api(page: Page, **task: Any) -> None:
    """A task straight through the /api proxy, as the dashboard's script sends it; the list shows
    it at the next redraw."""
    user_id = page.locator("body").get_attribute("data-user-id")
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")
    response = page.request.post(
        f"/api/{user_id}/tasks", data=task, headers={"X-CSRF-Token": token or ""}
    )
    assert response.ok, response.text()


def _tasks_in_the_api(page: Page) -> list[dict[str, Any]]:
    user_id = page.locator("body").get_attribute("data-user-id")
    response = page.request.get(f"/api/{user_id}/tasks")
    assert response.ok, response.text()
    tasks: list[dict[str, Any]] = response.json()
    return tasks


def _axe_violations(page: Page) -> str:
    results = Axe().run(page)
    return "" if results.violations_count == 0 else results.generate_report()


def test_add_and_edit_a_due_date_a_priority_and_tags(new_page, sign_up) -> None:
    page = new_page(timezone_id="Europe/Paris", locale="en-US")
    sign_up(page, "Dee")
    add = page.locator("#add-task")
    add.get_by_label("New task").fill("Dentist")
    add.get_by_label("Due").fill(FUTURE_DUE)
    add.get_by_label("Priority").select_option(label="High")
    add.get_by_label("Tags").fill("Health, #Errands  health")
    # The tags as they will be saved, shown as chips while typing.
    expect(add.locator(".tag-preview .chip")).to_have_text(["#health", "#errands"])
    add.get_by_role("button", name="Add task").click()

    task = _task(page, "Dentist")
    expect(page.get_by_role("status")).to_have_text("Added “Dentist”.")
    expect(task.locator("time")).to_have_text("Due Thu, Mar 14, 2030 at 5:00 PM")
    expect(task.get_by_text("High priority")).to_be_visible()
    expect(task.get_by_role("button", name=re.compile("tagged"))).to_have_text(
        ["Show tasks tagged #errands", "Show tasks tagged #health"]
    )
    expect(task.get_by_text("Overdue")).to_have_count(0)
    # The browser sent the Paris offset; the API keeps the moment in UTC.
    (sent,) = _tasks_in_the_api(page)
    assert (sent["due_at"], sent["priority"], sent["tags"]) == (
        "2030-03-14T16:00:00Z",
        "high",
        ["errands", "health"],
    )
    # The add form is ready for the next task, with the default priority.
    expect(add.get_by_label("Due")).to_have_value("")
    expect(add.get_by_label("Priority")).to_have_value("medium")
    expect(add.get_by_label("Tags")).to_have_value("")
    expect(add.locator(".tag-preview .chip")).to_have_count(0)

    page.get_by_role("button", name="Edit “Dentist”").click()
    editor = page.locator(".task-edit")
    expect(editor.get_by_label("Due")).to_have_value(FUTURE_DUE)
    expect(editor.get_by_label("Priority")).to_have_value("high")
    expect(editor.get_by_label("Tags")).to_have_value("errands health")
    expect(editor.locator(".tag-preview .chip")).to_have_text(["#errands", "#health"])
    editor.get_by_label("Due").fill("2030-03-15T08:30")
    editor.get_by_label("Priority").select_option(label="Low")
    editor.get_by_label("Tags").fill("health")
    editor.get_by_role("button", name="Save").click()
    expect(editor).to_have_count(0)
    expect(task.locator("time")).to_have_text("Due Fri, Mar 15, 2030 at 8:30 AM")
    expect(task.get_by_text("Low priority")).to_be_visible()
    expect(task.get_by_role("button", name=re.compile("tagged"))).to_have_text(
        ["Show tasks tagged #health"]
    )

    # No due date any more: the field emptied clears it.
    page.get_by_role("button", name="Edit “Dentist”").click()
    editor.get_by_label("Due").fill("")
    editor.get_by_role("button", name="Save").click()
    expect(editor).to_have_count(0)
    expect(task.locator("time")).to_have_count(0)
    assert _tasks_in_the_api(page)[0]["due_at"] is None


def test_a_tag_the_backend_refuses_is_explained_and_the_form_kept(new_page, sign_up) -> None:
    page = new_page(expected_errors=(REFUSED,))
    sign_up(page, "Rue")
    add = page.locator("#add-task")
    add.get_by_label("New task").fill("Learn C++")
    add.get_by_label("Tags").fill("c++")
    add.get_by_role("button", name="Add task").click()
    expect(page.get_by_role("status")).to_contain_text("tags")
    expect(add.get_by_label("New task")).to_have_value("Learn C++")
    expect(add.get_by_label("Tags")).to_have_value("c++")
    expect(page.get_by_text("No tasks yet")).to_be_visible()


def test_overdue_tasks_say_so_in_words(new_page, sign_up) -> None:
    page = new_page(timezone_id="Europe/Paris", locale="en-US")
    sign_up(page, "Ola")
    add = page.locator("#add-task")
    add.get_by_label("New task").fill("File taxes")
    add.get_by_label("Due").fill(PAST_DUE)
    add.get_by_role("button", name="Add task").click()
    task = _task(page, "File taxes")
    expect(task.get_by_text("Overdue", exact=True)).to_be_visible()
    expect(task.locator("time")).to_have_text("Due Mon, Jan 6, 2020 at 9:00 AM")

    # Done is no longer overdue.
    page.get_by_role("checkbox", name="File taxes").check()
    expect(task).to_have_class(re.compile(r"\bdone\b"))
    expect(task.get_by_text("Overdue", exact=True)).to_have_count(0)


def test_filters_search_and_sort_survive_a_reload(new_page, sign_up, artifacts: Path) -> None:
    page = new_page(
        timezone_id="Europe/Paris", locale="en-US", viewport={"width": 1280, "height": 900}
    )
    sign_up(page, "Fay")
    _add_through_the_api(page, title="Buy milk", priority="low", tags=["home", "errands"])
    _add_through_the_api(
        page, title="Pay rent", priority="high", tags=["home"], due_at="2020-01-01T09:00:00Z"
    )
    _add_through_the_api(
        page, title="Write report", priority="high", tags=["work"], due_at="2030-05-01T09:00:00Z"
    )
    _add_through_the_api(page, title="Call the plumber about the sink", tags=["home"])
    page.reload()
    expect(_titles(page)).to_have_text(
        ["Call the plumber about the sink", "Write report", "Pay rent", "Buy milk"]
    )
    # A chip for each tag in use.
    expect(_chips(page).get_by_role("button", name=re.compile("^Tag "))).to_have_text(
        ["Tag #errands", "Tag #home", "Tag #work"]
    )

    high = _chips(page).get_by_role("button", name="High priority", exact=True)
    expect(high).to_have_attribute("aria-pressed", "false")
    high.click()
    expect(_titles(page)).to_have_text(["Write report", "Pay rent"])
    expect(high).to_have_attribute("aria-pressed", "true")
    expect(high).to_be_focused()
    expect(page.get_by_role("status")).to_have_text("Showing 2 tasks.")
    assert "priority=high" in page.url

    page.get_by_label("Sort").select_option(label="Due date, soonest first")
    expect(_titles(page)).to_have_text(["Pay rent", "Write report"])

    # A task's own tag filters by it; its chip shows pressed.
    _task(page, "Pay rent").get_by_role("button", name="Show tasks tagged #home").click()
    home = _chips(page).get_by_role("button", name="Tag #home", exact=True)
    expect(home).to_have_attribute("aria-pressed", "true")
    expect(home).to_be_focused()
    expect(_titles(page)).to_have_text(["Pay rent"])
    # Other tags keep their chips while the filter hides their tasks.
    expect(_chips(page).get_by_role("button", name="Tag #work")).to_be_visible()

    high.click()  # off again; tasks without a due date come last, oldest first
    expect(_titles(page)).to_have_text(["Pay rent", "Buy milk", "Call the plumber about the sink"])
    page.get_by_label("Search").fill("PLUMBER sink")
    expect(_titles(page)).to_have_text(["Call the plumber about the sink"])
    page.get_by_role("link", name=re.compile("^Pending")).click()
    expect(_titles(page)).to_have_text(["Call the plumber about the sink"])

    page.reload()
    expect(_titles(page)).to_have_text(["Call the plumber about the sink"])
    expect(page.get_by_label("Search")).to_have_value("PLUMBER sink")
    expect(page.get_by_label("Sort")).to_have_value("due_at")
    expect(home).to_have_attribute("aria-pressed", "true")
    expect(high).to_have_attribute("aria-pressed", "false")
    expect(page.get_by_role("link", name=re.compile("^Pending"))).to_have_attribute(
        "aria-current", "page"
    )

    page.get_by_label("Search").fill("nothing like this")
    expect(page.get_by_text("No tasks match these filters.")).to_be_visible()
    page.get_by_role("button", name="Clear filters").click()
    expect(page.get_by_label("Search")).to_have_value("")
    expect(_titles(page)).to_have_text(
        ["Pay rent", "Write report", "Buy milk", "Call the plumber about the sink"]
    )
    expect(_chips(page).locator('[aria-pressed="true"]')).to_have_count(0)
    page.screenshot(path=artifacts / "dashboard-planning.png", full_page=True)

    # The keyboard alone works the chips, and keeps its place through the redraw.
    overdue = _chips(page).get_by_role("button", name="Overdue")
    overdue.focus()
    page.keyboard.press("Enter")
    expect(overdue).to_have_attribute("aria-pressed", "true")
    expect(overdue).to_be_focused()
    expect(_titles(page)).to_have_text(["Pay rent"])
    expect(_task(page, "Pay rent").get_by_text("Overdue", exact=True)).to_be_visible()


def test_the_time_zone_comes_from_the_browser_and_can_be_changed(new_page, sign_up) -> None:
    page = new_page(timezone_id="America/New_York", locale="en-US")
    sign_up(page, "Tom")
    zone = page.get_by_label("Your time zone")
    expect(zone).to_have_value("America/New_York")
    _add_through_the_api(page, title="Flight", due_at="2030-03-14T16:00:00Z")
    page.reload()
    due = _task(page, "Flight").locator("time")
    expect(due).to_have_text("Due Thu, Mar 14, 2030 at 12:00 PM")

    zone.select_option("Asia/Tokyo")
    page.get_by_role("button", name="Save time zone").click()
    expect(page.get_by_role("status")).to_have_text("Time zone set to Asia/Tokyo.")
    expect(due).to_have_text("Due Fri, Mar 15, 2030 at 1:00 AM")
    page.reload()
    expect(zone).to_have_value("Asia/Tokyo")
    expect(due).to_have_text("Due Fri, Mar 15, 2030 at 1:00 AM")

    # The forms read and write the account's zone too, not the browser's: what is typed is
    # what the list then shows.
    page.get_by_role("button", name="Edit “Flight”").click()
    editor = page.locator(".task-edit")
    expect(editor.get_by_label("Due")).to_have_value("2030-03-15T01:00")
    editor.get_by_label("Due").fill("2030-03-15T09:00")
    editor.get_by_role("button", name="Save").click()
    expect(due).to_have_text("Due Fri, Mar 15, 2030 at 9:00 AM")
    add = page.locator("#add-task")
    add.get_by_label("New task").fill("Hotel")
    add.get_by_label("Due").fill("2030-03-16T08:00")
    add.get_by_role("button", name="Add task").click()
    expect(_task(page, "Hotel").locator("time")).to_have_text("Due Sat, Mar 16, 2030 at 8:00 AM")
    due_dates = {task["title"]: task["due_at"] for task in _tasks_in_the_api(page)}
    assert due_dates == {"Flight": "2030-03-15T00:00:00Z", "Hotel": "2030-03-15T23:00:00Z"}


# What a due date typed in the forms means in the account's time zone: the zone's offset on that
# very day (clocks change), half-hour offsets, and back to the same wall time in the edit form.
TYPED_DUE_DATES = [
    ("Europe/Paris", "2030-03-31T01:30", "2030-03-31T00:30:00.000Z"),  # before summer time
    ("Europe/Paris", "2030-03-31T03:30", "2030-03-31T01:30:00.000Z"),  # after it, that night
    ("Europe/Paris", "2030-12-08T17:00", "2030-12-08T16:00:00.000Z"),
    ("America/New_York", "2030-11-03T12:00", "2030-11-03T17:00:00.000Z"),  # back to EST
    ("America/St_Johns", "2030-03-15T09:00", "2030-03-15T11:30:00.000Z"),
    ("Asia/Kolkata", "2030-03-15T09:00", "2030-03-15T03:30:00.000Z"),
    ("UTC", "2030-01-01T00:00", "2030-01-01T00:00:00.000Z"),
]


def test_a_typed_due_date_is_read_in_the_account_zone_whatever_the_browser(new_page) -> None:
    page = new_page(timezone_id="Asia/Tokyo")
    page.goto("/sign-in")  # the module is served from our origin
    read_back = page.evaluate(
        """async (examples) => {
            const fields = await import("/static/js/task_fields.js");
            return examples.map(([zone, typed]) => {
                const dueAt = fields.dueAtOf(typed, zone);
                return [zone, fields.localInputValue(dueAt, zone), new Date(dueAt).toISOString()];
            });
        }""",
        [[zone, typed] for zone, typed, _ in TYPED_DUE_DATES],
    )
    assert read_back == [[zone, typed, moment] for zone, typed, moment in TYPED_DUE_DATES]


@pytest.mark.parametrize("color_scheme", ["light", "dark"])
def test_axe_finds_nothing_wrong(new_page, sign_up, color_scheme: str) -> None:
    page = new_page(color_scheme=color_scheme, locale="en-US")
    page.goto("/sign-up")
    assert _axe_violations(page) == ""
    sign_up(page, "Axel")
    assert _axe_violations(page) == ""  # the empty dashboard

    _add_through_the_api(
        page, title="Pay rent", priority="high", tags=["home"], due_at="2020-01-01T09:00:00Z"
    )
    _add_through_the_api(page, title="Buy milk", priority="low", tags=["home", "errands"])
    page.goto("/dashboard?status=pending&tag=home&sort=due_at")
    expect(_task(page, "Pay rent").get_by_text("Overdue", exact=True)).to_be_visible()
    expect(_chips(page).get_by_role("button", name="Tag #home")).to_have_attribute(
        "aria-pressed", "true"
    )
    page.get_by_role("button", name="Edit “Buy milk”").click()
    expect(page.locator(".task-edit")).to_be_visible()
    assert _axe_violations(page) == ""
