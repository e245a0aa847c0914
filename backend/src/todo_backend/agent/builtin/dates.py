"""Dates and times as people type them ("tomorrow at 5pm", "next Friday", "on the 3rd", "in 2
hours", "end of the month", "by Monday morning"), read from the turn's `now` in the user's zone.

A small grammar says which phrases are dates, so that the agent knows exactly what it read;
python-dateutil does the calendar work (weekdays, month ends, month names, months of different
lengths). A phrase the grammar takes for a date but that names none ("the 45th", "31 February",
"25pm") is `Unreadable`: the agent asks about it instead of guessing.

Why not a natural-language date parser: tried from a fixed "now", dateparser read several of
these phrases wrongly without a sign of doubt ("on the 3rd" as 7 March, "friday at 9" as 7
September, "on the 45th" as the year 2045) and cannot read "end of the month"; parsedatetime
has had no release since 2020 and misses "on the 3rd" and "end of the month". A wrong date
silently kept is worse than a question, so the grammar decides and dateutil computes."""

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil import parser as date_parser
from dateutil.relativedelta import FR, MO, SA, SU, TH, TU, WE, relativedelta, weekday

# The time a date without one means: by the end of that working day.
DAY_ONLY_TIME = time(17, 0)
# The times that parts of a day mean.
PART_TIMES = {
    "morning": time(9, 0),
    "noon": time(12, 0),
    "midday": time(12, 0),
    "lunchtime": time(12, 0),
    "afternoon": time(14, 0),
    "evening": time(18, 0),
    "tonight": time(20, 0),
    "night": time(20, 0),
}
# A bare hour this small ("at 5") is an afternoon or evening one: no one plans a task at 5am
# without saying so.
PM_BELOW = 7

_WEEKDAYS: dict[str, weekday] = {
    "monday": MO,
    "tuesday": TU,
    "wednesday": WE,
    "thursday": TH,
    "friday": FR,
    "saturday": SA,
    "sunday": SU,
}
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_ORDINAL = r"\d{1,2}(?:st|nd|rd|th)"
# The units of "in 2 hours", and their names in timedelta and relativedelta.
_UNITS = {
    "minute": "minutes",
    "min": "minutes",
    "hour": "hours",
    "hr": "hours",
    "day": "days",
    "week": "weeks",
    "month": "months",
}
_UNIT = "(?:" + "|".join(_UNITS) + ")s?"
_WEEKDAY = "(?:" + "|".join(_WEEKDAYS) + ")"
_PART = r"(?:in\s+the\s+)?(?:morning|afternoon|evening)|night|noon|midday|lunchtime"
_CLOCK = r"\d{1,2}(?::\d{2})?\s*(?:am|pm|a\.m\.|p\.m\.)|\d{1,2}:\d{2}|noon|midday|midnight"
_TIME = rf"(?:at\s+)?(?:{_CLOCK})|at\s+\d{{1,2}}"
# What a day is said as; "this" only before a part of the day ("this evening").
_DAY = (
    r"today|tonight|tomorrow|tmrw|(?:the\s+)?day\s+after\s+tomorrow|"
    rf"(?:this\s+|next\s+|coming\s+|this\s+coming\s+)?{_WEEKDAY}|"
    rf"the\s+{_ORDINAL}(?:\s+of\s+(?:the|this|next)\s+month)?|"
    rf"{_MONTH}\s+{_ORDINAL}(?:,?\s+\d{{4}})?|{_MONTH}\s+\d{{1,2}}(?:,?\s+\d{{4}})?|"
    rf"(?:{_ORDINAL}|\d{{1,2}})(?:\s+of)?\s+{_MONTH}(?:,?\s+\d{{4}})?|\d{{4}}-\d{{2}}-\d{{2}}|"
    rf"in\s+(?:a|an|one|\d+)\s+{_UNIT}|"
    r"(?:the\s+)?end\s+of\s+(?:the\s+|this\s+|next\s+)?(?:day|week|month)|"
    r"next\s+(?:week|month)|(?:this\s+|the\s+)?weekend|"
    rf"this(?=\s+(?:{_PART}))"
)
_LEAD = r"(?:(?:by|on|at|due(?:\s+(?:on|by|at))?|for|before|until|till|from)\s+)"


def _when(named: bool) -> str:
    def group(name: str, body: str) -> str:
        return f"(?P<{name}>{body})" if named else f"(?:{body})"

    return (
        rf"{_LEAD}?(?:{group('day', _DAY)}"
        rf"(?:,?\s+(?:{group('time', _TIME)}|{group('part', _PART)}))?"
        rf"|{group('clock', _TIME)}(?:\s+(?:on\s+)?{group('clock_day', _DAY)})?)"
    )


# A date phrase, for the intents' patterns (no named groups of its own).
WHEN = _when(named=False)
_PHRASE = re.compile(_when(named=True), re.IGNORECASE)
_TRAILING = re.compile(rf"(?:^|[\s,;:-]+)(?P<when>{WHEN})$", re.IGNORECASE)
_IN = re.compile(r"in\s+(?P<count>a|an|one|\d+)\s+(?P<unit>[a-z]+?)s?$")
_CLOCK_PARTS = re.compile(
    r"(?:at\s+)?(?P<hour>\d{1,2})(?::(?P<minute>\d{2}))?\s*(?P<half>am|pm|a\.m\.|p\.m\.)?"
)


@dataclass(frozen=True)
class Unreadable:
    """A phrase that reads as a date but names none: the agent asks instead of guessing."""

    phrase: str


def split_when(text: str) -> tuple[str, str | None]:
    """'call mom tomorrow at 5pm' -> ('call mom', 'tomorrow at 5pm'); (text, None) when the
    text does not end in a date."""
    match = _TRAILING.search(text)
    if match is None or match.start() == 0:
        return text, None
    return text[: match.start()].rstrip(" ,;:-"), match["when"]


def resolve(phrase: str, now: datetime, zone: ZoneInfo) -> datetime | Unreadable:
    """The moment `phrase` names, in `zone`, read from `now`; `Unreadable` when it names none."""
    match = _PHRASE.fullmatch(phrase.strip())
    if match is None:
        return Unreadable(phrase)
    local_now = now.astimezone(zone)
    day_text = (match["day"] or match["clock_day"] or "").lower()
    clock_text = (match["time"] or match["clock"] or "").lower()
    part = (match["part"] or "").lower().removeprefix("in the").strip()
    try:
        if day_text.startswith("in "):
            moment = _ahead(day_text, now, zone)
            if moment is not None:
                return moment
        day = _day(day_text, local_now.date()) if day_text else None
        at = _clock(clock_text) if clock_text else None
    except ValueError:
        return Unreadable(phrase)
    if at is not None and day_text == "tonight" and at.hour < 12 and "m" not in clock_text:
        at = at.replace(hour=at.hour + 12)  # "at 8 tonight"
    if at is None:
        at = PART_TIMES.get(part) or PART_TIMES.get(day_text) or DAY_ONLY_TIME
    if day is None:  # a time alone is the next one to come
        day = local_now.date()
        if datetime.combine(day, at, zone) <= local_now:
            day += timedelta(days=1)
    return datetime.combine(day, at, zone)


def _amount(text: str) -> tuple[int, str]:
    """'in 2 hours' -> (2, "hours"); ValueError for what is not 'in <count> <unit>'."""
    match = _IN.fullmatch(text)
    if match is None:
        raise ValueError(text)
    return 1 if match["count"] in ("a", "an", "one") else int(match["count"]), _UNITS[match["unit"]]


def _ahead(text: str, now: datetime, zone: ZoneInfo) -> datetime | None:
    """'in 2 hours' from now to the minute; None for whole days ('in 3 days'), which are days."""
    count, unit = _amount(text)
    if unit in ("minutes", "hours"):
        moment = now + timedelta(**{unit: count})  # in UTC: an hour is an hour across DST
        return moment.astimezone(zone).replace(second=0, microsecond=0)
    return None


def _day(text: str, today: date) -> date:
    """The day a day phrase names, from `today` in the user's zone."""
    text = " ".join(text.split())
    if text in ("today", "tonight", "this"):
        return today
    if text in ("tomorrow", "tmrw"):
        return today + timedelta(days=1)
    if text.endswith("day after tomorrow"):
        return today + timedelta(days=2)
    if text.startswith("in "):
        count, unit = _amount(text)
        return today + (
            relativedelta(months=count) if unit == "months" else timedelta(**{unit: count})
        )
    named_weekday = text.split()[-1]
    if named_weekday in _WEEKDAYS:
        # "Friday", "next Friday": the coming one, never today; "this Friday" may be today.
        start = 0 if text.startswith("this ") else 1
        return today + relativedelta(days=start, weekday=_WEEKDAYS[named_weekday])
    if "end of" in text:
        unit = text.split()[-1]
        ahead = relativedelta(months=1) if "next month" in text else relativedelta()
        if unit == "week":
            return today + relativedelta(days=7 if "next" in text else 0, weekday=SU)
        return today + ahead + relativedelta(day=31) if unit == "month" else today
    if text == "next week":
        return today + relativedelta(days=1, weekday=MO)
    if text == "next month":
        return today + relativedelta(months=1, day=1)
    if text.endswith("weekend"):
        return today + relativedelta(weekday=SA)
    if text.startswith("the "):
        return _day_of_month(int(re.sub(r"\D", "", text.split()[1])), today, "next month" in text)
    return _calendar_date(text, today)


def _day_of_month(number: int, today: date, next_month: bool) -> date:
    """'the 3rd': this month's if it is still to come, else the next month that has one."""
    first = today.replace(day=1) + relativedelta(months=1 if next_month else 0)
    for months in range(3):
        try:
            day = (first + relativedelta(months=months)).replace(day=number)
        except ValueError:
            continue  # "the 31st" in a month of 30 days: the next month that has one
        if day >= today:
            return day
    raise ValueError(f"no day {number} in a month")


def _calendar_date(text: str, today: date) -> date:
    """'December 20', '3 Jan', '2027-01-05': this year's, or next year's once it is past."""
    midnight = datetime.combine(today, time())
    day = date_parser.parse(text, default=midnight).date()
    if day < today and not re.search(r"\d{4}", text):
        day += relativedelta(years=1)
    return day


def _clock(text: str) -> time:
    """'5pm', 'at 9', '17:30', 'noon'; a ValueError for an hour no clock shows ('25pm')."""
    if text in PART_TIMES:
        return PART_TIMES[text]
    if text == "midnight":
        return time(23, 59)  # the end of that day, not its start
    match = _CLOCK_PARTS.fullmatch(text)
    if match is None:
        raise ValueError(text)
    hour, minute = int(match["hour"]), int(match["minute"] or 0)
    half = (match["half"] or "").replace(".", "")
    if half:
        if not 1 <= hour <= 12:
            raise ValueError(text)
        hour = hour % 12 + (12 if half == "pm" else 0)
    elif match["minute"] is None and 1 <= hour < PM_BELOW:
        hour += 12
    return time(hour, minute)  # a ValueError past 23:59


def period(phrase: str, now: datetime, zone: ZoneInfo) -> tuple[datetime, datetime] | None:
    """The whole days a question means ('due this week'): from the first one's midnight to the
    midnight after the last, in `zone`; None for a phrase that is no period."""
    today = now.astimezone(zone).date()
    text = " ".join(phrase.lower().split())
    spans: dict[str, tuple[date, relativedelta]] = {
        "today": (today, relativedelta(days=1)),
        "tonight": (today, relativedelta(days=1)),
        "tomorrow": (today + timedelta(days=1), relativedelta(days=1)),
        "this week": (today + relativedelta(weekday=MO(-1)), relativedelta(weeks=1)),
        "next week": (today + relativedelta(days=1, weekday=MO), relativedelta(weeks=1)),
        "this month": (today.replace(day=1), relativedelta(months=1)),
        "next month": (today + relativedelta(months=1, day=1), relativedelta(months=1)),
        "this weekend": (today + relativedelta(weekday=SA), relativedelta(days=2)),
    }
    if text not in spans:
        return None
    start, length = spans[text]
    return datetime.combine(start, time(), zone), datetime.combine(start + length, time(), zone)


def spoken(moment: datetime, now: datetime, zone: ZoneInfo) -> str:
    """'Tue 8 Dec, 17:00' in the user's zone; the year too when it is not this one."""
    local = moment.astimezone(zone)
    year = f" {local.year}" if local.year != now.astimezone(zone).year else ""
    return f"{local:%a} {local.day} {local:%b}{year}, {local:%H:%M}"
