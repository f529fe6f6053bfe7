// Appointments on the device: the account manager records a customer's request offline
// (appointment.record) and sees the ones on the device with their effective status (the
// rule of server/appointments/model.py: planned + the linked visit completed → done).

import { _, formatTime, labelsOf } from "./i18n.js";
import { uuid7, write } from "./local.js";
import { fromLocalInput, localHourAfter } from "./times.js";
import { inSet } from "./statuses.js";
import { esc, pendingNote } from "./ui.js";

const STATUS = () => labelsOf("appointment_status");

export function effectiveStatus(appointment, data) {
  const visit = appointment.visit_id ? data.visit.get(appointment.visit_id) : null;
  if (appointment.status === "planned" && visit && inSet("visit_done", visit.status)) return "done";
  return appointment.status;
}

export const appointmentsScreen = {
  title: () => _("Appointments"),
  html(app, data, params) {
    const customers = [...data.customer.values()].sort((a, b) => a.name.localeCompare(b.name, "zh"));
    const chosen = params.get("customer") || "";
    const rows = [...data.appointment.values()].filter((a) => !a.deleted_at).sort((a, b) => String(b.wanted_at).localeCompare(String(a.wanted_at)));
    const name = (id) => esc((data.customer.get(id) || {}).name || "");
    return `<h1>${esc(_("Appointments"))}</h1>
      <form class="card" data-form="appointment">
        <h2>${esc(_("Record an appointment"))}</h2>
        <label>${esc(_("Customer"))} <select name="customer_id" required><option value="">—</option>${customers.map((c) => `<option value="${esc(c.id)}" ${c.id === chosen ? "selected" : ""}>${esc(c.name)}</option>`).join("")}</select></label>
        <label>${esc(_("Wanted time"))} <input type="datetime-local" name="wanted_at" required value="${localHourAfter(1)}"></label>
        <label>${esc(_("Need"))} <textarea name="need" rows="3" maxlength="2000" required></textarea></label>
        <label>${esc(_("Contact name"))} <input name="contact_name" maxlength="200"></label>
        <label>${esc(_("Contact phone"))} <input name="contact_phone" type="tel" maxlength="50"></label>
        <button type="submit">${esc(_("Record"))}</button>
      </form>
      <ul class="list" data-testid="appointment-list">${rows
        .map((a) => `<li data-appointment="${esc(a.id)}" data-status="${effectiveStatus(a, data)}"><b>${name(a.customer_id)}</b> · ${esc(formatTime(a.wanted_at))}
          <span class="badge">${esc(STATUS()[effectiveStatus(a, data)] || a.status)}</span> ${pendingNote(data, a)}<br>
          <span class="muted">${esc(a.need)} ${esc(a.contact_name || "")} ${esc(a.contact_phone || "")}</span></li>`)
        .join("")}</ul>
      ${rows.length ? "" : `<p class="muted">${esc(_("No appointments."))}</p>`}`;
  },
  bind(app, root) {
    const form = root.querySelector("[data-form=appointment]");
    form.addEventListener("input", () => app.setFormOpen(true));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const f = new FormData(form);
      await write(app, "appointment.record", {
        id: uuid7(),
        customer_id: f.get("customer_id"),
        wanted_at: fromLocalInput(f.get("wanted_at")),
        need: f.get("need").trim(),
        contact_name: (f.get("contact_name") || "").trim(),
        contact_phone: (f.get("contact_phone") || "").trim(),
      });
      app.setFormOpen(false);
      form.reset();
      app.toast(_("Appointment recorded. Saved on this device."));
      app.render();
    });
  },
};
