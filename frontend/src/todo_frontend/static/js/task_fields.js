// A task's due date and tags between the form's inputs and the API's values.

function twoDigits(number) {
  return String(number).padStart(2, "0");
}

// The wall-clock date and time of `moment` in the IANA time zone `zone`, as numbers.
function wallClock(moment, zone) {
  const format = new Intl.DateTimeFormat("en-US", {
    timeZone: zone,
    hourCycle: "h23",
    year: "numeric",
    month: "numeric",
    day: "numeric",
    hour: "numeric",
    minute: "numeric",
  });
  const parts = Object.fromEntries(format.formatToParts(moment).map(({ type, value }) => [type, Number(value)]));
  return { year: parts.year, month: parts.month, day: parts.day, hour: parts.hour, minute: parts.minute };
}

// How many minutes `zone` is ahead of UTC at `moment`.
function offsetMinutes(moment, zone) {
  const { year, month, day, hour, minute } = wallClock(moment, zone);
  const wallAsUtc = Date.UTC(year, month - 1, day, hour, minute);
  return (wallAsUtc - Math.floor(moment.getTime() / 60000) * 60000) / 60000;
}

// "2026-12-08T17:00" from a datetime-local input, read in the account's time zone `zone` (the
// one the list shows dates in, not necessarily the browser's), as RFC 3339 with that zone's
// offset on that day ("2026-12-08T17:00:00+01:00"): the API refuses a time without one. An
// empty input is no due date (null).
export function dueAtOf(localValue, zone) {
  if (!localValue) return null;
  const [date, time] = localValue.split("T");
  const [year, month, day] = date.split("-").map(Number);
  const [hour, minute] = time.split(":").map(Number);
  const wallAsUtc = Date.UTC(year, month - 1, day, hour, minute);
  // The offset is the zone's at the moment itself: read once near it, then at the moment that
  // first offset gives, which settles it on a day the clocks change.
  const nearby = offsetMinutes(new Date(wallAsUtc), zone);
  const offset = offsetMinutes(new Date(wallAsUtc - nearby * 60000), zone);
  const sign = offset < 0 ? "-" : "+";
  const hours = twoDigits(Math.floor(Math.abs(offset) / 60));
  const minutes = twoDigits(Math.abs(offset) % 60);
  return `${date}T${twoDigits(hour)}:${twoDigits(minute)}:00${sign}${hours}:${minutes}`;
}

// The datetime-local input's value for a due date from the API, in the account's time zone.
export function localInputValue(dueAt, zone) {
  if (!dueAt) return "";
  const { year, month, day, hour, minute } = wallClock(new Date(dueAt), zone);
  return `${year}-${twoDigits(month)}-${twoDigits(day)}T${twoDigits(hour)}:${twoDigits(minute)}`;
}

// "Work, #home  errands" -> ["work", "home", "errands"]: tags as the API takes them.
export function tagsOf(text) {
  const words = text.split(/[\s,]+/).map((word) => word.replace(/^#+/, "").toLowerCase());
  return [...new Set(words.filter(Boolean))];
}
