// Correcting a customer on the device, offline: its contacts (add, edit, remove) and the
// fields a field user knows (address, notes, founding day, "set location here").
// Each save is one mutation (contact.add / contact.update / contact.remove /
// customer.update) naming only the fields changed; the overlay (local.js MUTATORS) shows it
// at once, the care calendar included. The server merges per field (last writer wins) and
// holds a location moved far from the recorded one for a supervisor (docs/sync-protocol.md).

import { _ } from "./i18n.js";
import { haversine, uuid7, write } from "./local.js";
import { locate } from "./media.js";
import { esc, pendingNote } from "./ui.js";

// The same rules as the server (server/customers/mutations.py).
const PHONE_PATTERN = "\\+?[0-9][0-9 ()\\-]*((#|ext\\.?|转)[0-9]{1,6})?";
const FIELDS = ["name", "title", "phone", "email", "birthday", "notes"];

const parseList = (v) => {
  if (Array.isArray(v)) return v;
  try {
    return JSON.parse(v || "[]");
  } catch (_e) {
    return [];
  }
};

function keyDatesText(x) {
  return [x.birthday ? `${_("Birthday")} ${x.birthday}` : "", ...parseList(x.key_dates).map((k) => `${k.label} ${k.date}`)].filter(Boolean).join(" · ");
}

function contactInputs(x = {}) {
  const dates = [...parseList(x.key_dates), {}];
  return `
    <label>${esc(_("Name"))} <input name="name" required maxlength="200" value="${esc(x.name || "")}"></label>
    <label>${esc(_("Title"))} <input name="title" maxlength="200" value="${esc(x.title || "")}"></label>
    <label>${esc(_("Phone"))} <input name="phone" type="tel" maxlength="30" pattern="${PHONE_PATTERN}" value="${esc(x.phone || "")}"></label>
    <label>${esc(_("Email"))} <input name="email" type="email" maxlength="254" value="${esc(x.email || "")}"></label>
    <label>${esc(_("Birthday"))} <input name="birthday" type="date" min="1900-01-01" value="${esc(x.birthday || "")}"></label>
    <fieldset><legend>${esc(_("Key dates"))}</legend>
      ${dates
        .map(
          (d) => `<div class="inline" data-key-date>
          <input name="key_date_label" maxlength="100" value="${esc(d.label || "")}" placeholder="${esc(_("What (e.g. founding day)"))}" aria-label="${esc(_("Key date"))}">
          <input name="key_date" type="date" value="${esc(d.date || "")}" aria-label="${esc(_("Date"))}"></div>`,
        )
        .join("")}
    </fieldset>
    <label>${esc(_("Notes"))} <textarea name="notes" maxlength="5000" rows="2">${esc(x.notes || "")}</textarea></label>`;
}

// What the form holds, in the mutation's shape (key dates: label and date both given).
function readContact(form) {
  const f = new FormData(form);
  const out = {};
  for (const key of FIELDS) out[key] = String(f.get(key) || "").trim();
  out.notes = String(f.get("notes") || ""); // kept as typed, as the server keeps it
  out.birthday = out.birthday || null;
  const labels = f.getAll("key_date_label");
  const days = f.getAll("key_date");
  out.key_dates = labels.map((label, i) => ({ label: String(label).trim(), date: String(days[i] || "") })).filter((d) => d.label || d.date);
  return out;
}

export function contactsSection(app, data, customerId) {
  const contacts = [...data.contact.values()].filter((x) => x.customer_id === customerId && !x.deleted_at).sort((a, b) => String(a.name).localeCompare(String(b.name), "zh"));
  const rows = contacts
    .map(
      (x) => `<div class="row" data-contact="${esc(x.id)}">
        <b>${esc(x.name)}</b> ${esc(x.title)} <a href="tel:${esc(x.phone)}" data-testid="contact-phone" data-action="tel" data-call-contact="${esc(x.id)}">${esc(x.phone)}</a> ${x.email ? `<span class="muted">${esc(x.email)}</span>` : ""} ${pendingNote(data, x)}
        <br><span class="muted" data-testid="contact-dates">${esc(keyDatesText(x))}</span>
        ${x.notes ? `<br><span class="muted">${esc(x.notes)}</span>` : ""}
        <details data-testid="edit-contact"><summary>${esc(_("Edit"))}</summary>
          <form data-form="contact" data-id="${esc(x.id)}" data-key="${esc(x.id)}">
            ${contactInputs(x)}
            <button type="submit">${esc(_("Save"))}</button>
            <button type="button" class="secondary" data-action="remove-contact" data-id="${esc(x.id)}">${esc(_("Remove"))}</button>
          </form>
        </details></div>`,
    )
    .join("");
  return `<section class="card" data-testid="contacts"><h2>${esc(_("Contacts"))}</h2>
    ${rows || `<p class="muted">${esc(_("None"))}</p>`}
    <details data-testid="new-contact"><summary>${esc(_("Add a contact"))}</summary>
      <form data-form="contact-new" data-key="new">
        ${contactInputs()}
        <button type="submit" data-action="add-contact">${esc(_("Add contact"))}</button>
      </form>
    </details>
  </section>`;
}

export function customerSection(app, data, c) {
  const where =
    c.lat === null || c.lat === undefined
      ? _("Not recorded")
      : `${Number(c.lat).toFixed(5)}, ${Number(c.lon).toFixed(5)}${c.location_accuracy !== null && c.location_accuracy !== undefined ? ` (± ${Math.round(c.location_accuracy)} m)` : ""}`;
  return `<section class="card" data-testid="customer-fields"><h2>${esc(_("Customer details"))}</h2>
    <p>${esc(_("Location"))}: <span data-testid="customer-location">${esc(where)}</span> ${pendingNote(data, c)}
      <button type="button" class="secondary" data-action="set-location">${esc(_("Set location here"))}</button></p>
    ${c.notes ? `<p class="muted" data-testid="customer-notes">${esc(c.notes)}</p>` : ""}
    <details data-testid="edit-customer"><summary>${esc(_("Edit address and notes"))}</summary>
      <form data-form="customer" data-key="${esc(c.id)}">
        <label>${esc(_("Address"))} <input name="address" maxlength="500" value="${esc(c.address || "")}"></label>
        <label>${esc(_("Founded on"))} <input name="founded_on" type="date" min="1900-01-01" value="${esc(c.founded_on || "")}"></label>
        <label>${esc(_("Notes"))} <textarea name="notes" maxlength="5000" rows="3">${esc(c.notes || "")}</textarea></label>
        <button type="submit">${esc(_("Save"))}</button>
      </form>
    </details>
  </section>`;
}

function changed(before, after) {
  const fields = {};
  for (const key of FIELDS) {
    const was = key === "birthday" ? before[key] || null : String(before[key] ?? "");
    if (after[key] !== was) fields[key] = after[key];
  }
  if (JSON.stringify(parseList(before.key_dates)) !== JSON.stringify(after.key_dates)) fields.key_dates = after.key_dates;
  return fields;
}

export function bindCustomerEdits(app, root, data, customerId) {
  const customer = data.customer.get(customerId);
  for (const form of root.querySelectorAll("[data-form=contact], [data-form=contact-new], [data-form=customer]")) {
    form.addEventListener("input", () => app.setFormOpen(true));
  }
  for (const form of root.querySelectorAll("[data-form=contact]")) {
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      app.setFormOpen(false);
      const fields = changed(data.contact.get(form.dataset.id) || {}, readContact(form));
      if (Object.keys(fields).length) {
        await write(app, "contact.update", { id: form.dataset.id, fields });
        app.toast(_("Saved on this device."));
      }
      app.render();
    });
  }
  for (const button of root.querySelectorAll("[data-action=remove-contact]")) {
    button.addEventListener("click", async () => {
      if (!confirm(_("Remove this contact?"))) return;
      app.setFormOpen(false);
      await write(app, "contact.remove", { id: button.dataset.id });
      app.toast(_("Contact removed. Saved on this device."));
      app.render();
    });
  }
  const fresh = root.querySelector("[data-form=contact-new]");
  if (fresh) {
    fresh.addEventListener("submit", async (e) => {
      e.preventDefault();
      app.setFormOpen(false);
      const values = readContact(fresh);
      const args = { id: uuid7(), customer_id: customerId, name: values.name };
      for (const [key, value] of Object.entries(values)) if (key !== "name" && value && (!Array.isArray(value) || value.length)) args[key] = value;
      await write(app, "contact.add", args);
      app.toast(_("Contact added. Saved on this device."));
      app.render();
    });
  }
  const edit = root.querySelector("[data-form=customer]");
  if (edit && customer) {
    edit.addEventListener("submit", async (e) => {
      e.preventDefault();
      app.setFormOpen(false);
      const f = new FormData(edit);
      const now = { address: String(f.get("address") || "").trim(), notes: String(f.get("notes") || ""), founded_on: String(f.get("founded_on") || "") || null };
      const fields = {};
      if (now.address !== String(customer.address || "")) fields.address = now.address;
      if (now.notes !== String(customer.notes || "")) fields.notes = now.notes;
      if (now.founded_on !== (customer.founded_on || null)) fields.founded_on = now.founded_on;
      if (Object.keys(fields).length) {
        await write(app, "customer.update", { id: customerId, fields });
        app.toast(_("Saved on this device."));
      }
      app.render();
    });
  }
  const here = root.querySelector("[data-action=set-location]");
  if (here && customer) {
    here.addEventListener("click", async () => {
      here.disabled = true;
      here.textContent = _("Getting your position…");
      const fix = await locate();
      if (fix.lat === null) {
        app.toast(_("No GPS fix: the location was not changed."));
        return app.render();
      }
      await write(app, "customer.update", { id: customerId, fields: { lat: fix.lat, lon: fix.lon, location_accuracy: fix.accuracy, located_at: fix.at } });
      const limit = app.config.CUSTOMER_MOVE_HOLD_METERS || 200;
      const far = customer.lat !== null && customer.lat !== undefined && haversine(fix.lat, fix.lon, customer.lat, customer.lon) > limit;
      app.toast(far ? _("Location saved. It is far from the recorded one, so a supervisor will review it.") : _("Location saved on this device."));
      app.render();
    });
  }
}
