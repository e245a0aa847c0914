// A task's due date and tags between the form's inputs and the API's values.

function twoDigits(number) {
  return String(number).padStart(2, "0");
}

// "2026-12-08T17:00": the moment's date and time in the browser's time zone.
function localDateTime(moment) {
  const date = `${moment.getFullYear()}-${twoDigits(moment.getMonth() + 1)}-${twoDigits(moment.getDate())}`;
  return `${date}T${twoDigits(moment.getHours())}:${twoDigits(moment.getMinutes())}`;
}

// "2026-12-08T17:00" from a datetime-local input, read in the browser's time zone, as RFC 3339
// with that zone's offset on that day ("2026-12-08T17:00:00+01:00"): the API refuses a time
// without one. An empty input is no due date (null).
export function dueAtOf(localValue) {
  if (!localValue) return null;
  const moment = new Date(localValue); // a date-time without an offset is local time
  const offsetMinutes = -moment.getTimezoneOffset();
  const sign = offsetMinutes < 0 ? "-" : "+";
  const hours = twoDigits(Math.floor(Math.abs(offsetMinutes) / 60));
  const minutes = twoDigits(Math.abs(offsetMinutes) % 60);
  return `${localDateTime(moment)}:${twoDigits(moment.getSeconds())}${sign}${hours}:${minutes}`;
}

// The datetime-local input's value for a due date from the API, in the browser's time zone.
export function localInputValue(dueAt) {
  return dueAt ? localDateTime(new Date(dueAt)) : "";
}

// "Work, #home  errands" -> ["work", "home", "errands"]: tags as the API takes them.
export function tagsOf(text) {
  const words = text.split(/[\s,]+/).map((word) => word.replace(/^#+/, "").toLowerCase());
  return [...new Set(words.filter(Boolean))];
}
