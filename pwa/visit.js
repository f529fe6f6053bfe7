// The visit screen: check in, record what happened, photos, signature, check out.

import { _, formatTime, serverChoices } from "./i18n.js";
import { blobFor, uuid7, write } from "./local.js";
import { compressPhoto, locate, signaturePad, spaceFor } from "./media.js";
import { inSet } from "./statuses.js";
import { durationText, today } from "./times.js";
import { esc, flags, label, pendingNote, reasonLabel } from "./ui.js";

function photoList(data, visitId) {
  const photos = [...data.visit_photo.values()].filter((p) => p.visit_id === visitId && !p.deleted_at);
  return photos
    .map(
      (p) => `<figure class="photo" data-sha="${esc(p.sha256)}" data-photo-id="${esc(p.id)}">
        <img alt="${esc(p.caption || _("Photo"))}" data-blob="${esc(p.sha256)}">
        <figcaption>${esc(p.caption || "")}${p.taken_at ? ` <span class="muted" data-taken="${esc(p.taken_at)}">${esc(formatTime(p.taken_at))}</span>` : ""} ${pendingNote(data, p)}</figcaption></figure>`,
    )
    .join("");
}

function itemStates(data, visitId) {
  const mine = data.outbox.filter((m) => (m.args.id === visitId || m.args.visit_id === visitId) && m.status !== "acked");
  if (!mine.length) return "";
  return `<section class="card"><h2>${esc(_("Changes on this device"))}</h2><ul class="items">${mine
    .map((m) => `<li data-item-state="${esc(m.status)}" data-mutation="${esc(m.name)}">${esc(label("mutation", m.name))} · ${esc(label("item", m.status))}${m.result && m.result.message ? ` — <span class="error">${esc(m.result.message)}</span>` : ""}${m.result && m.result.reason ? ` — ${esc(reasonLabel(m.result.reason))}` : ""}</li>`)
    .join("")}</ul></section>`;
}

// The names of the contacts met (stored as JSON text).
function metOf(v) {
  try {
    return JSON.parse(v.contacts_met || "[]");
  } catch (_e) {
    return [];
  }
}

function editForm(v, data) {
  const contacts = [...data.contact.values()].filter((x) => x.customer_id === v.customer_id && !x.deleted_at);
  const met = metOf(v);
  return `
    <form class="card" data-form="visit">
      <h2>${esc(_("Visit record"))}</h2>
      <label>${esc(_("Purpose"))} <select name="purpose">${serverChoices("visit_purpose")
        .map(([k, t]) => `<option value="${k}" ${k === v.purpose ? "selected" : ""}>${esc(t)}</option>`)
        .join("")}</select></label>
      <fieldset><legend>${esc(_("Contacts met"))}</legend>
        ${contacts.map((x) => `<label class="check"><input type="checkbox" name="contacts_met" value="${esc(x.name)}" ${met.includes(x.name) ? "checked" : ""}> ${esc(x.name)}</label>`).join("") || `<span class="muted">${esc(_("None"))}</span>`}
      </fieldset>
      <label>${esc(_("Notes"))} <textarea name="notes" rows="4">${esc(v.notes)}</textarea></label>
      <label>${esc(_("Customer feedback"))} <textarea name="feedback" rows="2">${esc(v.feedback)}</textarea></label>
      <fieldset class="stars"><legend>${esc(_("Satisfaction"))}</legend>
        ${[1, 2, 3, 4, 5].map((n) => `<label><input type="radio" name="satisfaction" value="${n}" ${Number(v.satisfaction) === n ? "checked" : ""}> ${n}</label>`).join("")}
      </fieldset>
      <button type="submit">${esc(_("Save"))}</button>
    </form>`;
}

// A finished visit as recorded, read-only: its times, who was met, what was said.
function visitSummary(v) {
  const met = metOf(v);
  const inAt = v.check_in_device_at || v.check_in_at;
  const outAt = v.check_out_device_at || v.check_out_at;
  const rows = [
    [_("Checked in at"), inAt ? formatTime(inAt) : ""],
    [_("Checked out at"), outAt ? formatTime(outAt) : ""],
    [_("Time on site"), inAt && outAt ? durationText((Date.parse(outAt) - Date.parse(inAt)) / 1000) : ""],
    [_("Purpose"), label("visit_purpose", v.purpose)],
    [_("Contacts met"), met.join("、")],
    [_("Notes"), v.notes],
    [_("Customer feedback"), v.feedback],
    [_("Satisfaction"), v.satisfaction ? `${v.satisfaction} / 5` : ""],
    [_("Customer signature"), v.signature_sha256 ? _("Signed") : ""],
  ].filter(([, value]) => value);
  return `<section class="card done" data-testid="visit-summary"><h2>${esc(_("Visit finished"))}</h2>
    <p data-testid="visit-finished">${esc(outAt ? _("Checked out at %(t)s. Waiting for your supervisor's review.", { t: formatTime(outAt) }) : _("Waiting for your supervisor's review."))}</p>
    <dl class="summary">${rows.map(([k, value]) => `<dt>${esc(k)}</dt><dd>${esc(value)}</dd>`).join("")}</dl></section>`;
}

export const visitScreen = {
  title: () => _("Visit"),
  html(app, data, params, id) {
    const v = data.visit.get(id);
    if (!v) return `<p class="error">${esc(_("This visit is not on this device."))}</p>`;
    const c = data.customer.get(v.customer_id) || { name: "" };
    const followUps = [...data.follow_up.values()].filter((f) => f.visit_id === id);
    const finished = inSet("visit_done", v.status);
    // Checked out: a summary; the record can be corrected ("Correct the record") until review.
    const editable = ["in_progress", "returned"].includes(v.status);
    const approx = v._approx ? ` <span class="muted">(${esc(_("approximate, confirmed on sync"))})</span>` : "";
    return `
      <h1>${esc(c.name)}</h1>
      <p data-testid="visit-status"><span class="badge">${esc(label("visit_status", v.status))}</span> ${esc(label("visit_purpose", v.purpose))} ${pendingNote(data, v)}</p>
      ${v.status === "returned" && v.return_reason ? `<p class="error" data-testid="return-reason">${esc(_("Returned: %(r)s", { r: v.return_reason }))}</p>` : ""}
      ${v.status === "planned" ? `<p>${esc(_("Planned for %(date)s", { date: v.planned_date }))}</p><button type="button" data-action="check-in">${esc(_("Check in here (GPS)"))}</button>` : ""}
      ${v.channel && v.channel !== "on_site" ? `<section class="card" data-testid="remote-contact" data-channel="${esc(v.channel)}"><h2>${esc(label("visit_channel", v.channel))}</h2>
        <p>${esc(formatTime(v.check_in_device_at))}</p></section>` : v.check_in_device_at ? `<section class="card" data-testid="check-in"><h2>${esc(_("Check-in"))}</h2>
        <p>${esc(formatTime(v.check_in_device_at))} · ${v.check_in_distance_m !== null && v.check_in_distance_m !== undefined ? esc(_("%(m)s m from the customer", { m: Math.round(v.check_in_distance_m) })) : ""}${approx}</p>
        <p>${flags(v.check_in_flag)} ${v.check_in_accuracy ? esc(_("accuracy %(m)s m", { m: Math.round(v.check_in_accuracy) })) : ""}</p></section>` : ""}
      ${finished ? visitSummary(v) : ""}
      ${v.status === "completed" ? `<details data-testid="edit-visit"><summary>${esc(_("Correct the record"))}</summary>${editForm(v, data)}</details>` : editable ? editForm(v, data) : ""}
      ${v.status === "planned" ? "" : `<section class="card"><h2>${esc(_("Follow-up actions"))}</h2>
        ${followUps.length || editable ? "" : `<p class="muted">${esc(_("None"))}</p>`}
        <ul>${followUps.map((f) => `<li>${esc(f.due_date)} · ${esc(f.action)}${f.done_at ? ` <span class="badge good" data-done="true">${esc(_("Done"))}</span>` : ""} ${pendingNote(data, f)}</li>`).join("")}</ul>
        ${editable ? `<form data-form="follow-up" class="inline"><input name="action" required placeholder="${esc(_("What was promised"))}"><input type="date" name="due_date" required value="${today()}"><button type="submit" class="secondary">${esc(_("Add"))}</button></form>` : ""}
      </section>
      <section class="card"><h2>${esc(_("Photos"))}</h2>
        <div class="photos">${photoList(data, id) || (editable ? "" : `<p class="muted">${esc(_("None"))}</p>`)}</div>
        ${editable ? `<label class="button secondary">${esc(_("Add photos"))}<input type="file" accept="image/*" capture="environment" multiple data-input="photos" hidden></label>` : ""}
        <p class="error" data-role="photo-error" role="alert"></p>
      </section>`}
      ${editable ? `<section class="card"><h2>${esc(_("Customer signature"))}</h2>
        ${v.signature_sha256 ? `<p>${esc(_("Signed"))}</p>` : `<canvas class="signature" width="600" height="200"></canvas>
        <button type="button" class="secondary" data-action="clear-signature">${esc(_("Clear"))}</button>
        <button type="button" data-action="save-signature">${esc(_("Save signature"))}</button>`}</section>` : ""}
      ${v.status === "in_progress" ? `<button type="button" data-action="check-out">${esc(_("Check out and finish"))}</button>` : ""}
      ${v.status === "returned" ? `<button type="button" data-action="resubmit">${esc(_("Resubmit"))}</button>` : ""}
      ${itemStates(data, id)}`;
  },

  bind(app, root, data, params, id) {
    const v = data.visit.get(id);
    if (!v) return;
    for (const img of root.querySelectorAll("img[data-blob]")) showBlob(app, img);
    const on = (sel, ev, fn) => {
      const el = root.querySelector(sel);
      if (el) el.addEventListener(ev, fn);
    };
    const gpsThen = (name) => async (e) => {
      e.target.disabled = true;
      e.target.textContent = _("Getting your position…");
      const fix = await locate();
      const args = name === "visit.check_in" ? { id, customer_id: v.customer_id, purpose: v.purpose, ...fix } : { id, ...fix };
      await write(app, name, args);
      app.toast(name === "visit.check_out" ? _("Checked out at %(t)s. The visit is finished.", { t: formatTime(fix.at) }) : _("Saved on this device."));
      await app.render();
      if (name === "visit.check_out") window.scrollTo(0, 0); // to the summary at the top
    };
    on("[data-action=check-in]", "click", gpsThen("visit.check_in"));
    on("[data-action=check-out]", "click", async (e) => {
      if (app.formOpen && !confirm(_("You have unsaved changes in the form. Check out anyway?"))) return;
      await gpsThen("visit.check_out")(e);
    });
    on("[data-action=resubmit]", "click", async (e) => {
      if (app.formOpen && !confirm(_("You have unsaved changes in the form. Resubmit anyway?"))) return;
      e.target.disabled = true;
      await write(app, "visit.resubmit", { id, at: new Date().toISOString() });
      app.setFormOpen(false);
      app.toast(_("Saved on this device."));
      app.render();
    });
    const form = root.querySelector("[data-form=visit]");
    if (form) {
      form.addEventListener("input", () => app.setFormOpen(true));
      form.addEventListener("submit", async (e) => {
        e.preventDefault();
        const f = new FormData(form);
        const fields = {
          purpose: f.get("purpose"),
          notes: f.get("notes") || "",
          feedback: f.get("feedback") || "",
          contacts_met: f.getAll("contacts_met"),
        };
        if (f.get("satisfaction")) fields.satisfaction = Number(f.get("satisfaction"));
        await write(app, "visit.update", { id, fields });
        app.setFormOpen(false);
        app.toast(_("Saved on this device."));
        app.render();
      });
    }
    on("[data-form=follow-up]", "submit", async (e) => {
      e.preventDefault();
      const f = new FormData(e.target);
      await write(app, "visit.add_follow_up", { id: uuid7(), visit_id: id, action: f.get("action"), due_date: f.get("due_date") });
      app.toast(_("Saved on this device."));
      app.render();
    });
    on("[data-input=photos]", "change", async (e) => {
      const error = root.querySelector("[data-role=photo-error]");
      for (const file of e.target.files) {
        const room = await spaceFor(file.size * 2);
        if (!room.ok) {
          error.textContent = _("This phone is almost out of storage for the app. Sync, then free some space before adding photos.");
          return;
        }
        let photo;
        try {
          photo = await compressPhoto(file);
        } catch (_err) {
          error.textContent = _("This file could not be read as a photo.");
          continue;
        }
        const args = { id: uuid7(), visit_id: id, sha256: photo.sha256, mime: photo.mime, size: photo.size, caption: file.name, taken_at: new Date().toISOString() };
        await write(app, "visit.add_photo", args, { blob: photo });
      }
      app.toast(_("Photos saved on this device."));
      app.render();
    });
    const canvas = root.querySelector("canvas.signature");
    if (canvas) {
      const pad = signaturePad(canvas);
      on("[data-action=clear-signature]", "click", () => pad.clear());
      on("[data-action=save-signature]", "click", async () => {
        if (pad.empty()) return app.toast(_("Ask the customer to sign first."));
        const sig = await pad.toBlob();
        await write(app, "visit.sign", { visit_id: id, sha256: sig.sha256, mime: sig.mime, size: sig.size }, { blob: sig, baseVersion: v.version ?? null });
        app.toast(_("Signature saved on this device."));
        app.render();
      });
    }
  },
};

// Show a photo from this device's store, or from the server when it is not here.
export async function showBlob(app, img) {
  const local = await blobFor(app, img.dataset.blob);
  if (local) {
    img.src = URL.createObjectURL(local.data);
    return;
  }
  try {
    const response = await fetch(`/api/blobs/${img.dataset.blob}`, { headers: { Authorization: `Bearer ${app.session.access_token}` } });
    if (response.ok) img.src = URL.createObjectURL(await response.blob());
    else img.alt = _("Photo not yet uploaded");
  } catch (_e) {
    img.alt = _("Photo available when online");
  }
}
