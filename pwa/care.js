// Care calendar on the device (客户关怀): the account manager's week ahead, computed offline
// from the replica (customers, contacts, public holidays, own done marks) by the same rule as
// the server (server/care/calendar.py — read its docstring; keep the two in step; parity:
// tests/test_browser_care.py CASES). Marking an
// item done (and how) is a `care.done` mutation: shown at once, kept across offline reloads.

import { _, labelsOf } from "./i18n.js";
import { uuid7, write } from "./local.js";
import { today } from "./times.js";
import { esc, pendingNote } from "./ui.js";

export const KINDS = ["birthday", "key_date", "anniversary", "holiday"];
export const HOWS = ["visit", "call", "message", "gift"];
const DAYS = 7;

const pad = (n, width = 2) => String(n).padStart(width, "0");
const iso = (y, m, d) => `${pad(y, 4)}-${pad(m)}-${pad(d)}`;
const leap = (y) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

function parseDay(value) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(typeof value === "string" ? value : "");
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const check = new Date(Date.UTC(y, mo - 1, d));
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) return null;
  return { y, m: mo, d };
}

export function addDays(day, n) {
  const p = parseDay(day);
  return new Date(Date.UTC(p.y, p.m - 1, p.d + n)).toISOString().slice(0, 10);
}

function sameDay(p, year) {
  if (p.m === 2 && p.d === 29 && !leap(year)) return iso(year, 2, 28);
  return iso(year, p.m, p.d);
}

// The next yearly occurrence of an ISO day on or after `day` (null if invalid or not yet come).
export function occurrence(original, day) {
  const p = parseDay(original);
  if (!p) return null;
  const year = Number(day.slice(0, 4));
  for (const y of [year, year + 1]) {
    const when = sameDay(p, y);
    if (when >= day) return when >= original ? when : null;
  }
  return null;
}

export function itemKey(kind, ref, occursOn, label = "") {
  const key = `${kind}:${ref}:${occursOn}`;
  return kind === "key_date" ? `${key}:${label}` : key;
}

const parseList = (v) => {
  if (Array.isArray(v)) return v;
  try {
    return JSON.parse(v || "[]");
  } catch (_e) {
    return [];
  }
};

// The user's care items from `day` for a week, each with its done mark or null.
export function weekAhead(data, userId, day = today()) {
  const last = addDays(day, DAYS - 1);
  const items = [];
  const add = (kind, ref, when, title, customer, contact, label = "", extra = {}) => {
    if (!when || when > last) return;
    items.push({
      key: itemKey(kind, ref, when, label),
      kind,
      occurs_on: when,
      title,
      label,
      customer_id: customer ? customer.id : null,
      customer_name: customer ? customer.name : "",
      contact_id: contact ? contact.id : null,
      contact_name: contact ? contact.name : "",
      ...extra,
    });
  };
  const byId = new Map();
  for (const c of data.customer.values()) {
    if (c.account_manager_id !== userId || c.deleted_at) continue;
    byId.set(c.id, c);
    const when = occurrence(c.founded_on, day);
    const founded = parseDay(c.founded_on);
    if (when && Number(when.slice(0, 4)) > founded.y) add("anniversary", c.id, when, c.name, c, null, "", { years: Number(when.slice(0, 4)) - founded.y });
  }
  for (const contact of data.contact.values()) {
    const customer = byId.get(contact.customer_id);
    if (!customer || contact.deleted_at) continue;
    add("birthday", contact.id, occurrence(contact.birthday, day), contact.name, customer, contact);
    for (const entry of parseList(contact.key_dates)) {
      const label = String(entry.label || "");
      add("key_date", contact.id, occurrence(entry.date, day), label, customer, contact, label);
    }
  }
  for (const h of (data.public_holiday || new Map()).values()) {
    if (h.deleted_at || !(h.starts_on >= day && h.starts_on <= last)) continue;
    add("holiday", h.id, h.starts_on, h.name, null, null, "", { ends_on: h.ends_on });
  }
  const done = new Map();
  for (const d of (data.care_done || new Map()).values()) {
    if (d.user_id === userId && !d.deleted_at && d.occurs_on >= day && d.occurs_on <= last) done.set(d.item_key, d);
  }
  for (const item of items) item.done = done.get(item.key) || null;
  const cmp = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
  items.sort((a, b) => cmp(a.occurs_on, b.occurs_on) || KINDS.indexOf(a.kind) - KINDS.indexOf(b.kind) || cmp(a.customer_name, b.customer_name) || cmp(a.title, b.title));
  return items;
}

export const KIND_LABELS = () => labelsOf("care_kind");
export const HOW_LABELS = () => labelsOf("care_how");

export function openCareCount(app, data) {
  return weekAhead(data, app.session.user.id).filter((i) => !i.done).length;
}

function occasion(item) {
  const kind = KIND_LABELS()[item.kind];
  if (item.kind === "key_date" || item.kind === "holiday") return `${kind}: ${item.title}`;
  if (item.kind === "anniversary") return `${kind} (${_("%(n)s years", { n: item.years })})`;
  return kind;
}

export const careScreen = {
  title: () => _("Care this week"),
  html(app, data) {
    const day = today();
    const items = weekAhead(data, app.session.user.id, day);
    const rows = items.map((item) => {
      const who = [item.customer_name, item.contact_name].filter(Boolean).join(" · ");
      const link = item.customer_id ? `<a href="/m/customers/${esc(item.customer_id)}" data-link>${esc(who)}</a>` : esc(who);
      const state = item.done
        ? `<span class="badge good" data-how="${esc(item.done.how)}">${esc(_("Done"))}: ${esc(HOW_LABELS()[item.done.how] || item.done.how)}</span> ${esc(item.done.note || "")} ${pendingNote(data, item.done)}`
        : `<form data-form="care-done" data-key="${esc(item.key)}" class="inline">
            <select name="how" aria-label="${esc(_("How"))}">${HOWS.map((h) => `<option value="${h}">${esc(HOW_LABELS()[h])}</option>`).join("")}</select>
            <input name="note" maxlength="2000" placeholder="${esc(_("Note (optional)"))}">
            <button type="submit">${esc(_("Mark done"))}</button></form>`;
      return `<li data-care-item="${esc(item.key)}" data-kind="${item.kind}" data-done="${item.done ? "yes" : "no"}">
        <b>${esc(item.occurs_on)}</b> · ${esc(occasion(item))}${who ? ` · ${link}` : ""}<br>${state}</li>`;
    });
    return `<h1>${esc(_("Care this week"))}</h1>
      <p class="muted">${esc(_("%(first)s to %(last)s", { first: day, last: addDays(day, DAYS - 1) }))}</p>
      <ul class="list" data-testid="care-list">${rows.join("")}</ul>
      ${rows.length ? "" : `<p class="muted">${esc(_("Nothing in the week ahead."))}</p>`}`;
  },
  bind(app, root) {
    for (const form of root.querySelectorAll("[data-form=care-done]")) {
      // A choice being made is kept across re-renders (a sync finishing meanwhile).
      form.addEventListener("input", () => app.setFormOpen(true));
      form.addEventListener("submit", async (e) => {
        e.preventDefault();
        app.setFormOpen(false);
        const f = new FormData(form);
        await write(app, "care.done", {
          id: uuid7(),
          key: form.dataset.key,
          how: f.get("how"),
          note: String(f.get("note") || "").trim(),
          at: new Date().toISOString(),
        });
        app.toast(_("Saved on this device."));
        app.render();
      });
    }
  },
};
