// Remote contacts from the customer screen: "log a call" / "log a message", and after a tap
// on a contact's tel: link an offer to log that call. All offline: one visit.log_contact
// mutation in the outbox (server/visits/contacts_log.py); the overlay (local.js) shows it
// as a completed contact at once, so overdue (ui.js) updates before any sync.

import { _ } from "./i18n.js";
import { uuid7, write } from "./local.js";
import { esc } from "./ui.js";

export function callsSection(contacts) {
  const options = contacts.map((x) => `<option value="${esc(x.id)}">${esc(x.name)}</option>`).join("");
  return `
    <section class="card" data-testid="log-contact"><h2>${esc(_("Log a call or message"))}</h2>
      <form data-form="log-contact" class="inline">
        ${contacts.length ? `<select name="contact_id" aria-label="${esc(_("Contact"))}"><option value="">${esc(_("Contact (optional)"))}</option>${options}</select>` : ""}
        <input name="notes" maxlength="2000" placeholder="${esc(_("What was said (optional)"))}" aria-label="${esc(_("Notes"))}">
        <button type="button" data-action="log-call">${esc(_("Log a call"))}</button>
        <button type="button" class="secondary" data-action="log-message">${esc(_("Log a message"))}</button>
      </form>
    </section>`;
}

async function logContact(app, customerId, channel, contactId, notes) {
  const args = { id: uuid7(), customer_id: customerId, channel, at: new Date().toISOString() };
  if (contactId) args.contact_id = contactId;
  if (notes) args.notes = notes;
  await write(app, "visit.log_contact", args);
  app.setFormOpen(false); // logged: the typed note must not come back in the next render
  app.toast(channel === "phone" ? _("Call logged. Saved on this device.") : _("Message logged. Saved on this device."));
  app.render();
}

// After a tel: tap the dialler opens; when the user comes back, a prompt offers to log it.
function offerAfterTel(app, customerId, contactId) {
  document.querySelector("[data-testid=tel-prompt]")?.remove();
  const el = document.createElement("div");
  el.className = "toast";
  el.setAttribute("role", "status");
  el.dataset.testid = "tel-prompt";
  el.innerHTML = `${esc(_("Log this call?"))} <button type="button" data-action="log-call-after-tel">${esc(_("Log the call"))}</button> <button type="button" class="secondary" data-action="dismiss-tel">${esc(_("Not now"))}</button>`;
  el.querySelector("[data-action=log-call-after-tel]").addEventListener("click", async () => {
    el.remove();
    await logContact(app, customerId, "phone", contactId, "");
  });
  el.querySelector("[data-action=dismiss-tel]").addEventListener("click", () => el.remove());
  document.body.append(el);
  setTimeout(() => el.remove(), 60000);
}

export function bindCalls(app, root, customerId) {
  const form = root.querySelector("[data-form=log-contact]");
  if (form) {
    // A note half typed survives a re-render (a sync run finishing) like any open form.
    form.addEventListener("input", () => app.setFormOpen(true));
    for (const [action, channel] of [["log-call", "phone"], ["log-message", "message"]]) {
      const button = form.querySelector(`[data-action=${action}]`);
      button.addEventListener("click", async () => {
        button.disabled = true;
        const f = new FormData(form);
        await logContact(app, customerId, channel, f.get("contact_id") || null, String(f.get("notes") || "").trim());
      });
    }
  }
  for (const link of root.querySelectorAll("a[data-action=tel]")) {
    link.addEventListener("click", () => offerAfterTel(app, customerId, link.dataset.callContact || null));
  }
}
