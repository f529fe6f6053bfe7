// Times on the device: the twin of server/times.py (keep in step; tests/test_layering_times.py
// checks the two name the same zone and offset). Stored times are UTC ISO-8601 text with
// milliseconds and a Z, which is what Date#toISOString writes. Local days are the operator's
// (LOCAL_ZONE), counted at its fixed offset as the server and its SQL count them.

export const LOCAL_ZONE = "Asia/Shanghai";
export const LOCAL_OFFSET_MS = 8 * 3600000; // UTC+8 all year: no daylight saving

const DAY_MS = 86400000;
const shifted = (ms) => new Date(ms + LOCAL_OFFSET_MS); // its UTC fields read the local clock

// A stored (ISO-8601) time as ms since the epoch; a time without an offset is UTC (as
// server/times.py read); null when absent or unreadable.
export function readTime(value) {
  if (typeof value !== "string" || !value) return null;
  const text = /T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value) ? `${value}Z` : value;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? null : ms;
}

// The local day (YYYY-MM-DD) of a stored time; null when there is none.
export const localDay = (iso) => (iso ? shifted(Date.parse(iso)).toISOString().slice(0, 10) : null);

// Today, a local day.
export const today = () => shifted(Date.now()).toISOString().slice(0, 10);

// A datetime-local input's value `days` from now, on the local hour ("YYYY-MM-DDTHH:00").
export function localHourAfter(days) {
  const d = shifted(Date.now() + days * DAY_MS);
  return `${d.toISOString().slice(0, 11)}${String(d.getUTCHours()).padStart(2, "0")}:00`;
}

// A datetime-local input's value ("YYYY-MM-DDTHH:MM", local time) as a stored time.
export const fromLocalInput = (value) => new Date(Date.parse(`${value}:00Z`) - LOCAL_OFFSET_MS).toISOString();
