// The sign-up form carries the browser's time zone, so due dates and "tomorrow at 5pm" mean the
// new user's local time from the start (they can change it on the dashboard).

document.querySelector('input[name="timezone"]').value =
  Intl.DateTimeFormat().resolvedOptions().timeZone ?? "";
