// Shared bits of the field screens: escaping, translated labels, small badges.

import { _, serverLabel } from "./i18n.js";
import { localDay, today } from "./times.js";
import { inSet } from "./statuses.js";

export const esc = (value) =>
  String(value ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

// Enumeration labels are the server's (i18n.js serverLabel, kinds as in server/labels.py:
// sla_grade, visit_purpose, visit_status, gps_flag, visit_channel, wo_status, …). The one
// kind of the device's own: the state of a change in the outbox.
const ITEM_STATES = () => ({ pending: _("Not yet synced"), acked: _("Synced"), rejected: _("Rejected"), held: _("Kept for supervisor review") });

export const label = (kind, value) => (kind === "item" ? ITEM_STATES()[value] || value || "" : serverLabel(kind, value));
// Why the server kept or refused a change (a conflict reason code), in words.
export const reasonLabel = (reason) => (reason ? serverLabel("conflict_reason", serverLabel("wo_conflict_reason", reason)) : "");

export const flags = (flag, kind = "gps_flag") =>
  (flag || "").split(",").filter(Boolean).map((f) => `<span class="badge ${f === "ok" ? "good" : "warn"}">${esc(label(kind, f))}</span>`).join(" ");

// The last day a contact of one of `channels` took place (a visit without a channel is on site).
export function lastVisitDay(data, customerId, channels = ["on_site"]) {
  let last = null;
  for (const v of data.visit.values()) {
    if (v.customer_id !== customerId || !inSet("visit_took_place", v.status)) continue;
    if (!channels.includes(v.channel || "on_site")) continue;
    const day = localDay(v.check_in_at || v.check_in_device_at);
    if (day && (!last || day > last)) last = day;
  }
  return last;
}

// The visit policy in force on a day (server/visits/policy.py): the latest version the
// server sent whose effective_from is not after it; our defaults before the first pull.
export const DEFAULT_VISIT_POLICY = { versions: [{ version: 0, effective_from: "2000-01-01", rules: { A: { on_site: 7 }, B: { on_site: 30 }, C: { remote: 30, on_site: 90 } } }] };
const MEETS = { on_site: ["on_site"], remote: ["on_site", "phone", "message"] };

export function policyInForce(app, day = today()) {
  const versions = ((app.config.VISIT_POLICY || DEFAULT_VISIT_POLICY).versions || []).filter((v) => v.effective_from <= day);
  versions.sort((a, b) => a.effective_from.localeCompare(b.effective_from) || a.version - b.version);
  return versions.length ? versions[versions.length - 1] : DEFAULT_VISIT_POLICY.versions[0];
}

// Overdue: any requirement of the customer's class past due (never met, or more days than
// its interval since the last contact that meets it). The server's rule, offline.
export function overdue(app, data, customer) {
  const needs = policyInForce(app).rules[customer.customer_class] || {};
  const now = Date.parse(today());
  return Object.entries(needs).some(([kind, days]) => {
    const last = lastVisitDay(data, customer.id, MEETS[kind] || []);
    return !last || (now - Date.parse(last)) / 86400000 > days;
  });
}

export function pendingNote(data, row) {
  if (!row || !row._pending) return "";
  const states = row._pending.map((id) => data.outbox.find((m) => m.id === id)).filter(Boolean);
  const worst = states.some((m) => m.status === "pending") ? "pending" : "acked";
  return `<span class="badge pending" data-state="${worst}">${esc(label("item", worst))}</span>`;
}

