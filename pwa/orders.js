// The technician's day: orders by SLA urgency, an order's steps and report, sites,
// exception reports. Everything renders from the replica; SLA clocks count down offline.

import { _, formatTime, labelsOf } from "./i18n.js";
import { haversine, uuid7, write } from "./local.js";
import { checklistGaps, checklistSummary } from "./checklist.js";
import { compressPhoto, locate, spaceFor } from "./media.js";
import { inSet } from "./statuses.js";
import { leftText } from "./times.js";
import { homeHeader } from "./views.js";
import { esc, flags, label, pendingNote } from "./ui.js";

const TYPE = () => labelsOf("wo_type");
const STATUS = () => labelsOf("wo_status");
const NEXT = {
  dispatched: ["work_order.accept", () => _("Accept")],
  accepted: ["work_order.travel", () => _("Set off")],
  en_route: ["work_order.arrive", () => _("Arrived: check in (GPS)")],
  on_site: ["work_order.resolve", (o) => (o.wo_type === "fault_repair" ? _("Service restored") : o.wo_type === "inspection" ? _("Inspection finished") : _("Work finished"))],
  resolved: ["work_order.submit", () => _("Submit report")],
  returned: ["work_order.submit", () => _("Resubmit report")],
};

// The next deadline still running: a fault repair's arrival before check-in, restore after;
// another type's due time (the server keeps it in restore_due_at).
export function nextDeadline(o) {
  if (!inSet("order_with_field", o.status)) return null;
  if (!o.on_site_at && o.arrival_due_at) return { kind: "arrival", at: o.arrival_due_at };
  if (!o.resolved_at && o.restore_due_at) return { kind: o.wo_type === "fault_repair" ? "restore" : "due", at: o.restore_due_at };
  return null;
}

function countdown(iso) {
  const seconds = (Date.parse(iso) - Date.now()) / 1000;
  return seconds >= 0
    ? `<span class="badge ${seconds < 1800 ? "warn" : "good"}" data-sla="running">${esc(leftText(seconds))}</span>`
    : `<span class="badge warn" data-sla="breached">${esc(leftText(seconds))}</span>`;
}

function slaLine(o, key, label) {
  const done = { response_due_at: o.accepted_at, arrival_due_at: o.on_site_at, restore_due_at: o.resolved_at }[key];
  if (!o[key]) return "";
  const state = done ? (done <= o[key] ? `<span class="badge good">${esc(_("Met"))}</span>` : `<span class="badge warn">${esc(_("Missed"))}</span>`) : countdown(o[key]);
  return `<li data-testid="order-clock-${key === "restore_due_at" && o.wo_type !== "fault_repair" ? "due" : key}">${esc(label)}: ${esc(formatTime(o[key]))} ${state}</li>`;
}

export function myOrders(app, data) {
  const me = app.session.user.id;
  return [...data.work_order.values()].filter((o) => !o.deleted_at && (o.assignee_id === me || (!o.assignee_id && o.wo_type !== "exception_report") || o.reported_by === me));
}

export const ordersScreen = {
  title: () => _("My work orders"),
  html(app, data) {
    const here = app.position;
    const rows = myOrders(app, data)
      .filter((o) => inSet("order_with_field", o.status))
      .sort((a, b) => String((nextDeadline(a) || { at: "9" }).at).localeCompare(String((nextDeadline(b) || { at: "9" }).at)));
    const done = myOrders(app, data).filter((o) => !inSet("order_with_field", o.status)).length;
    return `
      ${homeHeader(_("My work orders"))}
      <p class="muted">${here ? esc(_("Distances from where you are now")) : esc(_("Distances appear once your position is known"))}
        <button type="button" class="secondary" data-action="locate">${esc(_("Update my position"))}</button></p>
      <ul class="list" data-testid="order-list">
      ${rows
        .map((o) => {
          const site = data.site.get(o.site_id) || {};
          const due = nextDeadline(o);
          const km = here && site.lat !== undefined && site.lat !== null ? (haversine(here.lat, here.lon, site.lat, site.lon) / 1000).toFixed(1) : null;
          return `<li><a href="/m/orders/${o.id}" data-link data-order="${esc(o.id)}">
            <b>${esc(TYPE()[o.wo_type] || o.wo_type)}</b> · ${esc(site.name || o.title || "")}
            <span class="badge">${esc(STATUS()[o.status] || o.status)}</span> ${due ? countdown(due.at) : ""}
            ${km !== null ? `<span class="muted" data-distance>${esc(_("%(km)s km away", { km }))}</span>` : ""} ${pendingNote(data, o)}</a></li>`;
        })
        .join("")}
      </ul>
      ${rows.length ? "" : `<p class="muted">${esc(_("No open work orders."))}</p>`}
      <p class="muted">${esc(_("%(n)s finished orders on this device", { n: done }))}</p>
      <p><a class="button secondary" href="/m/report" data-link>${esc(_("Report an exception"))}</a></p>
      <p><a href="/m/scorecard" data-link data-testid="scorecard-link">${esc(_("My scorecard"))}</a></p>`;
  },
  bind(app, root) {
    root.querySelector("[data-action=locate]").addEventListener("click", async () => {
      const fix = await locate();
      if (fix.lat !== null) app.position = fix;
      app.render();
    });
  },
};

function photos(data, orderId) {
  return [...data.work_order_photo.values()]
    .filter((p) => p.work_order_id === orderId)
    .map((p) => `<figure class="photo" data-sha="${esc(p.sha256)}"><img alt="${esc(label("photo_stage", p.stage))}" data-blob="${esc(p.sha256)}"><figcaption>${esc(label("photo_stage", p.stage))}${p.taken_at ? ` <span class="muted" data-taken="${esc(p.taken_at)}">${esc(formatTime(p.taken_at))}</span>` : ""} ${pendingNote(data, p)}</figcaption></figure>`)
    .join("");
}

// The parts an order used (stored as JSON text): names, or {name, qty}.
function partsOf(o) {
  try {
    return JSON.parse(o.parts_used || "[]");
  } catch (_e) {
    return [];
  }
}

function reportForm(o) {
  const parts = partsOf(o);
  const partsText = parts.map((p) => (typeof p === "string" ? p : `${p.name} x${p.qty || 1}`)).join("\n");
  return `<form class="card" data-form="report">
    <h2>${esc(_("Repair report"))}</h2>
    <label>${esc(_("Diagnosis"))} <textarea name="diagnosis" rows="2">${esc(o.diagnosis)}</textarea></label>
    <label>${esc(_("Cause"))} <textarea name="cause" rows="2">${esc(o.cause)}</textarea></label>
    <label>${esc(_("Fix"))} <textarea name="fix" rows="2">${esc(o.fix)}</textarea></label>
    <label>${esc(_("Parts used (one per line, e.g. 整流模块 x1)"))} <textarea name="parts_used" rows="2">${esc(partsText)}</textarea></label>
    <button type="submit" class="secondary">${esc(_("Save"))}</button></form>`;
}

// The technician's report as sent, read-only (after submit, and to the reporter).
function reportSummary(o) {
  const parts = partsOf(o);
  const partsText = parts.map((p) => (typeof p === "string" ? p : `${p.name} ×${p.qty || 1}`)).join("、");
  const rows = [
    [_("Diagnosis"), o.diagnosis],
    [_("Cause"), o.cause],
    [_("Fix"), o.fix],
    [_("Parts used"), partsText],
  ].filter(([, v]) => v);
  if (!rows.length) return "";
  return `<section class="card" data-testid="report-summary"><h2>${esc(_("Repair report"))}</h2>
    <dl class="summary">${rows.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join("")}</dl></section>`;
}

function readParts(text) {
  return String(text || "")
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const m = line.match(/^(.*?)\s*[x×*]\s*(\d+)$/);
      return m ? { name: m[1], qty: Number(m[2]) } : { name: line, qty: 1 };
    });
}

// Who works on an order: its technician, or its team while nobody has it. The reporter of
// an exception report sees the order made from it (read-only unless it is theirs too).
function worksOn(app, o) {
  const me = app.session.user;
  if (o.wo_type === "exception_report") return o.reported_by === me.id;
  return o.assignee_id === me.id || (!o.assignee_id && o.assigned_org_id === me.org_id) || !["technician", "account_manager"].includes(me.role);
}

// The orders linked to this one: the report it was made from, the order a report became.
function links(app, data, o) {
  const parent = o.parent_id ? data.work_order.get(o.parent_id) : null;
  const made = o.converted_to_id ? data.work_order.get(o.converted_to_id) : null;
  const mine = o.reported_by === app.session.user.id;
  let html = "";
  if (parent && parent.wo_type === "exception_report") {
    const text = mine ? _("From your report %(code)s: %(title)s", { code: parent.code || "", title: parent.title || "" }) : _("From the report %(code)s: %(title)s", { code: parent.code || "", title: parent.title || "" });
    html += `<p class="card" data-testid="order-from-report"><a href="/m/orders/${esc(parent.id)}" data-link>${esc(text)}</a></p>`;
  }
  if (o.converted_to_id) {
    const label = made ? `${made.code || ""} · ${TYPE()[made.wo_type] || made.wo_type}` : "";
    html += `<p class="card" data-testid="report-converted">${esc(_("Your report became a work order"))} ${made ? `<a href="/m/orders/${esc(made.id)}" data-link>${esc(label)}</a>` : ""}</p>`;
  }
  return html;
}

// What keeps an inspection from being resolved or submitted (the server refuses it too).
function checklistBlock(data, o) {
  if (o.wo_type !== "inspection" || !["on_site", "resolved", "returned"].includes(o.status)) return "";
  const gaps = checklistGaps(data, o);
  if (gaps.none) return `<p class="error" data-testid="checklist-none">${esc(_("This inspection has no checklist, so it cannot be submitted. Ask your supervisor."))}</p>`;
  if (!gaps.missing.length) return "";
  return `<section class="card" data-testid="checklist-missing" data-missing="${gaps.missing.length}"><h2>${esc(_("Checklist"))}</h2>
    <p class="error">${esc(_("Answer every checklist item first: %(n)s still open", { n: gaps.missing.length }))}</p>
    ${checklistLink(o)}
    <ul>${gaps.missing.map((m) => `<li>${esc(`${m.position}. ${m.label}`)}</li>`).join("")}</ul></section>`;
}

function checklistLink(o) {
  return `<p><a class="button" href="/m/orders/${o.id}/checklist" data-link>${esc(_("Fill in the checklist"))}</a></p>`;
}

export const orderScreen = {
  title: () => _("Work order"),
  html(app, data, params, id) {
    const o = data.work_order.get(id);
    if (!o) return `<p class="error">${esc(_("This work order is not on this device."))}</p>`;
    const site = data.site.get(o.site_id) || {};
    const mine = worksOn(app, o);
    const blocked = checklistBlock(data, o);
    const next = mine && !blocked ? NEXT[o.status] : null;
    const working = mine && ["accepted", "en_route", "on_site", "resolved", "returned"].includes(o.status);
    const finished = ["submitted", "approved", "closed"].includes(o.status);
    const history = [...data.work_order.values()].filter((x) => x.site_id && x.site_id === o.site_id && x.id !== o.id).length;
    return `
      <h1>${esc(TYPE()[o.wo_type] || o.wo_type)} · ${esc(o.code || "")}</h1>
      <p data-testid="order-status"><span class="badge">${esc(STATUS()[o.status] || o.status)}</span> ${pendingNote(data, o)}</p>
      <p><b>${esc(o.title)}</b><br><span class="muted">${esc(o.description)}</span></p>
      ${links(app, data, o)}
      ${o.return_reason && o.status === "returned" ? `<p class="error">${esc(_("Returned: %(r)s", { r: o.return_reason }))}</p>` : ""}
      ${site.id ? `<p><a href="/m/sites/${site.id}" data-link>${esc(site.name)}</a> <span class="muted">${esc(site.code)} · ${esc(_("%(n)s earlier orders here", { n: history }))}</span></p>` : ""}
      <section class="card" data-testid="sla"><h2>${esc(_("SLA"))}</h2><ul>
        ${slaLine(o, "response_due_at", _("Respond by"))}${slaLine(o, "arrival_due_at", _("Arrive by"))}${slaLine(o, "restore_due_at", o.wo_type === "fault_repair" ? _("Restore by") : _("Due by"))}
      </ul></section>
      ${o.check_in_flag ? `<section class="card" data-testid="check-in"><h2>${esc(_("Check-in"))}</h2><p>${o.check_in_distance_m !== null && o.check_in_distance_m !== undefined ? esc(_("%(m)s m from the site", { m: Math.round(o.check_in_distance_m) })) : ""} ${flags(o.check_in_flag, "check_in_flag")}</p></section>` : ""}
      ${mine ? blocked : ""}
      ${mine && !blocked && o.wo_type === "inspection" && ["on_site", "resolved", "returned"].includes(o.status) ? checklistLink(o) : ""}
      ${finished ? `<section class="card done" data-testid="order-finished"><h2>${esc(_("Report submitted"))}</h2><p>${esc(_("Submitted %(at)s. Your supervisor reviews it; it cannot be changed here.", { at: formatTime(o.submitted_at || o.resolved_at) }))}</p></section>` : ""}
      ${working && o.wo_type !== "inspection" ? reportForm(o) : ""}
      ${!working && o.wo_type !== "inspection" ? reportSummary(o) : ""}
      ${finished && o.wo_type === "inspection" ? checklistSummary(data, o) : ""}
      <section class="card"><h2>${esc(_("Photos"))}</h2><div class="photos">${photos(data, id)}</div>
        ${working ? `<label class="button secondary">${esc(_("Before photo"))}<input type="file" accept="image/*" capture="environment" data-stage="before" hidden></label>
        <label class="button secondary">${esc(_("After photo"))}<input type="file" accept="image/*" capture="environment" data-stage="after" hidden></label>` : ""}
        <p class="error" role="alert" data-role="photo-error"></p></section>
      ${next ? `<button type="button" data-action="step" data-step="${next[0]}">${esc(next[1](o))}</button>` : ""}
      <p class="error" role="alert" data-role="step-error"></p>`;
  },
  bind(app, root, data, params, id) {
    const o = data.work_order.get(id);
    if (!o) return;
    for (const img of root.querySelectorAll("img[data-blob]")) import("./visit.js").then((m) => m.showBlob(app, img));
    const step = root.querySelector("[data-action=step]");
    if (step) {
      step.addEventListener("click", async () => {
        step.disabled = true;
        const name = step.dataset.step;
        const args = { id, at: new Date().toISOString() };
        if (name === "work_order.arrive" || name === "work_order.travel") {
          step.textContent = _("Getting your position…");
          Object.assign(args, await locate());
          args.at = new Date().toISOString();
        }
        if (name === "work_order.resolve" && o.wo_type !== "inspection") {
          const form = root.querySelector("[data-form=report]");
          const f = new FormData(form);
          Object.assign(args, { diagnosis: f.get("diagnosis"), cause: f.get("cause"), fix: f.get("fix"), parts_used: readParts(f.get("parts_used")) });
          if (!args.cause.trim() || !args.fix.trim()) {
            root.querySelector("[data-role=step-error]").textContent = _("Say what the cause was and what you did before resolving.");
            step.disabled = false;
            return;
          }
        }
        await write(app, name, args);
        app.setFormOpen(false);
        app.toast(name === "work_order.submit" ? _("Report submitted. Saved on this device.") : _("Saved on this device."));
        await app.render();
        if (name === "work_order.submit") window.scrollTo(0, 0); // to the summary at the top
      });
    }
    const form = root.querySelector("[data-form=report]");
    if (form) {
      form.addEventListener("input", () => app.setFormOpen(true));
      form.addEventListener("submit", async (e) => {
        e.preventDefault();
        const f = new FormData(form);
        const fields = { diagnosis: f.get("diagnosis"), cause: f.get("cause"), fix: f.get("fix"), parts_used: readParts(f.get("parts_used")) };
        await write(app, "work_order.update", { id, fields });
        app.setFormOpen(false);
        app.toast(_("Saved on this device."));
        app.render();
      });
    }
    for (const input of root.querySelectorAll("input[data-stage]")) {
      input.addEventListener("change", async () => {
        const error = root.querySelector("[data-role=photo-error]");
        for (const file of input.files) {
          if (!(await spaceFor(file.size * 2)).ok) {
            error.textContent = _("This phone is almost out of storage for the app. Sync, then free some space before adding photos.");
            return;
          }
          const photo = await compressPhoto(file);
          await write(app, "work_order.add_photo", { id: uuid7(), work_order_id: id, stage: input.dataset.stage, sha256: photo.sha256, mime: photo.mime, size: photo.size, caption: file.name, taken_at: new Date().toISOString() }, { blob: photo });
        }
        app.toast(_("Photos saved on this device."));
        app.render();
      });
    }
  },
};

export const siteScreen = {
  title: () => _("Site"),
  html(app, data, params, id) {
    const site = data.site.get(id);
    if (!site) return `<p class="error">${esc(_("This site is not on this device."))}</p>`;
    const past = [...data.work_order.values()].filter((o) => o.site_id === id).sort((a, b) => String(b.created_at).localeCompare(String(a.created_at)));
    return `<h1>${esc(site.name)}</h1><p class="muted">${esc(site.code)} · ${esc(site.area)} · ${esc(site.address)}</p>
      <section class="card"><h2>${esc(_("Orders at this site"))}</h2><ul class="list">
      ${past.map((o) => `<li><a href="/m/orders/${o.id}" data-link>${esc(formatTime(o.created_at))} · ${esc(TYPE()[o.wo_type])} · ${esc(STATUS()[o.status])} ${o.cause ? `· ${esc(o.cause)}` : ""}</a></li>`).join("") || `<li class="muted">${esc(_("None"))}</li>`}
      </ul></section>`;
  },
};

export const reportScreen = {
  title: () => _("Report an exception"),
  html(app, data) {
    const sites = [...data.site.values()].sort((a, b) => a.name.localeCompare(b.name, "zh"));
    return `<form class="card" data-form="exception"><h1>${esc(_("Report an exception"))}</h1>
      <label>${esc(_("What did you see?"))} <input name="title" required maxlength="200"></label>
      <label>${esc(_("Details"))} <textarea name="description" rows="3"></textarea></label>
      <label>${esc(_("Site (optional)"))} <select name="site_id"><option value="">—</option>${sites.map((s) => `<option value="${esc(s.id)}">${esc(s.name)}</option>`).join("")}</select></label>
      <label class="button secondary">${esc(_("Add photos"))}<input type="file" accept="image/*" capture="environment" multiple data-input="photos" hidden></label>
      <button type="submit">${esc(_("Send report"))}</button></form>`;
  },
  bind(app, root) {
    const form = root.querySelector("[data-form=exception]");
    // What is typed survives a re-render (a sync run finishing after sign-in) until sent.
    form.addEventListener("input", () => app.setFormOpen(true));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const f = new FormData(form);
      const id = uuid7();
      const fix = await locate();
      await write(app, "work_order.report_exception", { id, title: f.get("title"), description: f.get("description"), site_id: f.get("site_id") || null, ...fix });
      for (const file of form.querySelector("[data-input=photos]").files) {
        const photo = await compressPhoto(file);
        await write(app, "work_order.add_photo", { id: uuid7(), work_order_id: id, stage: "evidence", sha256: photo.sha256, mime: photo.mime, size: photo.size, caption: file.name }, { blob: photo });
      }
      app.setFormOpen(false);
      app.toast(_("Report saved on this device."));
      app.go(`/m/orders/${id}`);
    });
  },
};
