// The device's strings: the same gettext catalogue as the server, fetched as JSON and
// cached by the service worker. Source strings are English; zh_CN is the default.
// Enumeration labels come from the server's catalogue too (server/labels.py, each domain's
// domain.py `labels=`), served translated at /m/labels/<locale>.json: one source, no drift.

import { clockText } from "./times.js";

let messages = {};
let labels = {};
export let locale = "zh_CN";

async function fetchJSON(url) {
  try {
    const response = await fetch(url);
    return response.ok ? await response.json() : {};
  } catch (_e) {
    return {};
  }
}

export async function loadLocale(wanted) {
  locale = wanted === "en" ? "en" : "zh_CN";
  [messages, labels] = await Promise.all([fetchJSON(`/m/i18n/${locale}.json`), fetchJSON(`/m/labels/${locale}.json`)]);
  document.documentElement.lang = locale === "en" ? "en" : "zh-CN";
}

// _("Hello %(name)s", {name}) → translated, with named placeholders filled in.
export function _(text, values = {}) {
  const found = messages[text] || text;
  return found.replace(/%\((\w+)\)s/g, (_m, key) => (key in values ? String(values[key]) : ""));
}

// The server's display name of an enumeration value (kind as in server/labels.py LABELS),
// the value itself when the catalogue has none (not yet fetched).
export const serverLabel = (kind, value) => (value === null || value === undefined ? "" : ((labels[kind] || {})[value] ?? String(value)));
// Every value of a kind, in the server's order: [[value, label], …].
export const serverChoices = (kind) => Object.entries(labels[kind] || {});
// A kind's labels as an object {value: label}.
export const labelsOf = (kind) => ({ ...(labels[kind] || {}) });

// A stored time in local time ("YYYY-MM-DD HH:MM", as the server's clock_text).
export function formatTime(iso) {
  if (!iso) return "";
  return clockText(iso) || iso;
}
