// Follow-ups due on the device's home screen: the user's open follow-ups, overdue first,
// then by due day, each closed with one tap (`follow_up.done`, docs/sync-protocol.md §10).
// Works offline: the outbox overlay (local.js MUTATORS) closes the row at once, and a close
// the server kept for a supervisor (its visit approved meanwhile) says so instead.

import { _ } from "./i18n.js";
import { write } from "./local.js";
import { today } from "./times.js";
import { esc, pendingNote } from "./ui.js";

// Open follow-ups of the user's visits: overdue first, then by due day (then by action).
export function dueFollowUps(app, data) {
  const me = app.session.user.id;
  return [...data.follow_up.values()]
    .filter((f) => !f.done_at && !f.deleted_at && (!f.account_manager_id || f.account_manager_id === me))
    .sort((a, b) => String(a.due_date).localeCompare(String(b.due_date)) || String(a.action).localeCompare(String(b.action), "zh"));
}

function heldDone(data, id) {
  return data.outbox.some((m) => m.name === "follow_up.done" && m.args.id === id && m.status === "held");
}

export function followUpsCard(app, data) {
  const due = dueFollowUps(app, data);
  const day = today();
  const customer = (f) => esc((data.customer.get(f.customer_id || (data.visit.get(f.visit_id) || {}).customer_id) || {}).name || "");
  const row = (f) => {
    const overdue = f.due_date < day;
    const held = heldDone(data, f.id);
    return `<div class="row" data-follow-up="${esc(f.id)}" data-overdue="${overdue}">
      <a href="/m/visits/${esc(f.visit_id)}" data-link>${esc(f.due_date)} · ${esc(f.action)} · ${customer(f)}</a>
      ${overdue ? `<span class="badge warn">${esc(_("Past due"))}</span>` : ""}
      ${f.reopen_reason ? `<span class="muted">${esc(_("Reopened"))}: ${esc(f.reopen_reason)}</span>` : ""}
      ${held ? `<span class="badge pending" data-state="held">${esc(_("Kept for supervisor review"))}</span>` : `<button type="button" class="secondary" data-action="follow-up-done" data-id="${esc(f.id)}">${esc(_("Done"))}</button>`}
      ${pendingNote(data, f)}</div>`;
  };
  return `<section class="card" data-testid="follow-ups-due"><h2>${esc(_("Follow-ups due"))} <b>${due.length}</b></h2>
    ${due.map(row).join("") || `<p class="muted">${esc(_("None"))}</p>`}</section>`;
}

export function bindFollowUps(app, root) {
  for (const button of root.querySelectorAll("[data-action=follow-up-done]")) {
    button.addEventListener("click", async () => {
      button.disabled = true;
      await write(app, "follow_up.done", { id: button.dataset.id, at: new Date().toISOString() });
      app.toast(_("Follow-up closed. Saved on this device."));
      await app.render();
    });
  }
}
