// The device's strings: the same gettext catalogue as the server, fetched as JSON and
// cached by the service worker. Source strings are English; zh_CN is the default.

import { LOCAL_ZONE } from "./times.js";

let messages = {};
export let locale = "zh_CN";

export async function loadLocale(wanted) {
  locale = wanted === "en" ? "en" : "zh_CN";
  try {
    const response = await fetch(`/m/i18n/${locale}.json`);
    messages = response.ok ? await response.json() : {};
  } catch (_) {
    messages = {};
  }
  document.documentElement.lang = locale === "en" ? "en" : "zh-CN";
}

// _("Hello %(name)s", {name}) → translated, with named placeholders filled in.
export function _(text, values = {}) {
  const found = messages[text] || text;
  return found.replace(/%\((\w+)\)s/g, (_m, key) => (key in values ? String(values[key]) : ""));
}

export function formatTime(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleString(locale === "en" ? "en-GB" : "zh-CN", {
    timeZone: LOCAL_ZONE,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
  });
}
