// Shared bits of the field screens: escaping, translated labels, small badges.

import { _ } from "./i18n.js";

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
  // Classes show as their letter; a customer with no key-account class says so.
  customer_class: () => ({ A: "A", B: "B", C: "C", unclassified: _("Unclassified") }),
  item: () => ({ pending: _("Not yet synced"), acked: _("Synced"), rejected: _("Rejected"), held: _("Kept for supervisor review") }),
};

export const label = (kind, value) => LABELS[kind]()[value] || value || "";
export const flags = (flag) =>
  (flag || "").split(",").filter(Boolean).map((f) => `<span class="badge ${f === "ok" ? "good" : "warn"}">${esc(label("flag", f))}</span>`).join(" ");
export const today = () => new Date(Date.now() + 8 * 3600000).toISOString().slice(0, 10);
export const dayOf = (iso) => (iso ? new Date(Date.parse(iso) + 8 * 3600000).toISOString().slice(0, 10) : null);

export function lastVisitDay(data, customerId) {
  let last = null;
  for (const v of data.visit.values()) {
    if (v.customer_id !== customerId || !["completed", "approved", "in_progress", "returned"].includes(v.status)) continue;
    const day = dayOf(v.check_in_at || v.check_in_device_at);
    if (day && (!last || day > last)) last = day;
  }
  return last;
}

export function overdue(app, data, customer) {
  const last = lastVisitDay(data, customer.id);
  if (!last) return true;
  const days = (app.config.VISIT_POLICY_DAYS || {})[customer.customer_class] || 90;
  return (Date.parse(today()) - Date.parse(last)) / 86400000 > days;
}

export function pendingNote(data, row) {
  if (!row || !row._pending) return "";
  const states = row._pending.map((id) => data.outbox.find((m) => m.id === id)).filter(Boolean);
  const worst = states.some((m) => m.status === "pending") ? "pending" : "acked";
  return `<span class="badge pending" data-state="${worst}">${esc(label("item", worst))}</span>`;
}

