// Times on the device: the twin of server/times.py (keep in step; tests/test_layering_times.py
// checks the two name the same zone and offset). Stored times are UTC ISO-8601 text with
// milliseconds and a Z, which is what Date#toISOString writes. Local days are the operator's
// (LOCAL_ZONE), counted at its fixed offset as the server and its SQL count them.

import { _ } from "./i18n.js";

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

// Times as people read them: the twin of server/times.py duration_text, left_text,
// clock_offset_text, relative_day and clock_text (tests/time_cases.py runs the same cases
// on both). Whole units, rounded down, two at most: "3 天 2 小时", "1 小时 20 分", "45 分".
// `_` is read when called (i18n.js imports this module too).

// A length of time (its sign ignored); under a minute, the seconds when precise.
export function durationText(seconds, precise = false) {
  const total = Math.floor(Math.abs(seconds));
  const minutes = Math.floor(total / 60);
  if (minutes === 0) return precise ? _("%(s)s s", { s: total }) : _("under a minute");
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const mins = minutes % 60;
  if (days) return hours ? _("%(d)s d %(h)s h", { d: days, h: hours }) : _("%(d)s d", { d: days });
  if (hours) return mins ? _("%(h)s h %(m)s min", { h: hours, m: mins }) : _("%(h)s h", { h: hours });
  return _("%(m)s min", { m: mins });
}

// Time until a deadline (seconds, negative once past): "剩 1 小时 20 分", "超时 3 天 2 小时".
export const leftText = (seconds) => (seconds >= 0 ? _("%(t)s left", { t: durationText(seconds) }) : _("Overdue by %(t)s", { t: durationText(seconds) }));

// This device's clock against the server's (offset = server − device, ms).
export function clockOffsetText(offsetMs) {
  if (offsetMs === null || offsetMs === undefined) return "—";
  if (Math.abs(offsetMs) < 1000) return _("in step");
  const t = durationText(offsetMs / 1000, true);
  return offsetMs > 0 ? _("%(t)s behind", { t }) : _("%(t)s ahead", { t });
}

// A local day (YYYY-MM-DD) against today: today, yesterday, tomorrow, N days ago, in N days.
export function relativeDay(day, now = today()) {
  const n = Math.round((Date.parse(day) - Date.parse(now)) / DAY_MS);
  if (n === 0) return _("today");
  if (n === -1) return _("yesterday");
  if (n === 1) return _("tomorrow");
  return n < 0 ? _("%(n)s days ago", { n: -n }) : _("in %(n)s days", { n });
}

// A stored time as the local clock reads it, "YYYY-MM-DD HH:MM"; "" when absent or unreadable.
export function clockText(stored) {
  const ms = readTime(stored);
  return ms === null ? "" : shifted(ms).toISOString().slice(0, 16).replace("T", " ");
}

// A stored time, only the clock ("HH:MM") when it is today, else clockText's day and clock.
export function recentClockText(stored) {
  const text = clockText(stored);
  return text.startsWith(`${today()} `) ? text.slice(11) : text;
}

// leftText of a number of minutes (the server's SLA clocks count minutes).
export const minutesLeftText = (minutes) => leftText(minutes * 60);
