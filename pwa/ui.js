// Shared bits of the field screens: escaping, translated labels, small badges.

import { _ } from "./i18n.js";
import { localDay, today } from "./times.js";
import { inSet } from "./statuses.js";

export const esc = (value) =>
  String(value ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

export const LABELS = {
  grade: () => ({ diamond: _("Diamond"), gold: _("Gold"), silver: _("Silver"), bronze: _("Bronze"), standard: _("Standard") }),
  purpose: () => ({
    routine: _("Routine visit"),
    complaint_follow_up: _("Complaint follow-up"),
    product_promotion: _("Product promotion"),
    care: _("Customer care"),
    retention: _("Retention"),
    fault_follow_up: _("Fault follow-up"),
    contract_renewal: _("Contract renewal"),
  }),
  status: () => ({
    planned: _("Planned"),
    in_progress: _("In progress"),
    completed: _("Completed"),
    approved: _("Approved"),
    returned: _("Returned"),
    cancelled: _("Cancelled"),
  }),
  flag: () => ({
    ok: _("Location OK"),
    far: _("Far from the customer"),
    low_accuracy: _("Low GPS accuracy"),
    no_fix: _("No GPS fix"),
    no_customer_location: _("Customer has no recorded location"),
  }),
  channel: () => ({ on_site: _("On site"), phone: _("Phone call"), message: _("Message (WeChat/SMS)") }),
  // Classes show as their letter; a customer with no key-account class says so.
  customer_class: () => ({ A: "A", B: "B", C: "C", unclassified: _("Unclassified") }),
  item: () => ({ pending: _("Not yet synced"), acked: _("Synced"), rejected: _("Rejected"), held: _("Kept for supervisor review") }),
};

export const label = (kind, value) => LABELS[kind]()[value] || value || "";
export const flags = (flag) =>
  (flag || "").split(",").filter(Boolean).map((f) => `<span class="badge ${f === "ok" ? "good" : "warn"}">${esc(label("flag", f))}</span>`).join(" ");

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

