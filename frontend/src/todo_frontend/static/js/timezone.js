// The user's time zone on the dashboard: every IANA name the browser knows to choose from, saved
// to the account (PATCH /api/auth/me) so that due dates and the assistant use it.

import { send } from "./api.js";

export function createTimeZonePicker({ form, announce, onChanged }) {
  const select = form.elements.timezone;
  const saved = select.value;
  // A browser without the list (before 2022) still offers UTC and the saved zone.
  const names = new Set(Intl.supportedValuesOf?.("timeZone") ?? []);
  names.add("UTC");
  names.delete(saved); // rendered by the server, already selected
  for (const name of [...names].sort()) select.add(new Option(name, name));

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const timezone = select.value;
    try {
      await send("/api/auth/me", { method: "PATCH", body: { timezone } });
    } catch (error) {
      announce(error.message, { error: true });
      return;
    }
    announce(`Time zone set to ${timezone}.`);
    onChanged(timezone);
  });
}
