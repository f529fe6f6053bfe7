// An inspection's checklist, filled on site with no signal: each answer is saved at once,
// evaluated with the same rule as the server, and a failed item needs a remark and can open
// a rectification order on the spot.
// Server twin: the evaluation (pwa/local.js evaluate) ports server/inspections/evaluation.py
// evaluate, and checklistGaps its order_complete (parity: tests/test_checklist_parity.py).

import { _ } from "./i18n.js";
import { evaluate, uuid7, write } from "./local.js";
import { compressPhoto } from "./media.js";
import { esc } from "./ui.js";

const PROBLEM = () => ({
  answer_required: _("Not answered yet"),
  remark_required: _("Failed: say what you found or did"),
  photo_required: _("A photo is required"),
  invalid_number: _("Enter a number"),
  invalid_choice: _("Choose one of the options"),
});

export function latestAnswers(data, orderId) {
  const latest = new Map();
  const answers = [...data.inspection_answer.values()].filter((a) => a.work_order_id === orderId && !a.deleted_at);
  answers.sort((a, b) => (a.version || 0) - (b.version || 0));
  for (const a of answers) latest.set(a.item_id, a);
  return latest;
}

function input(item, a) {
  const name = `value-${item.id}`;
  const named = `aria-label="${esc(item.label)}"`; // the item's label is the field's name
  if (item.kind === "pass_fail") {
    return `<label class="check"><input type="radio" name="${name}" value="1" ${a && a.passed === 1 && a.passed !== undefined ? "checked" : ""}> ${esc(_("Pass"))}</label>
      <label class="check"><input type="radio" name="${name}" value="0" ${a && a.passed === 0 ? "checked" : ""}> ${esc(_("Fail"))}</label>`;
  }
  if (item.kind === "reading") {
    return `<input type="number" step="any" inputmode="decimal" name="${name}" ${named} value="${esc(a ? a.value_number ?? "" : "")}"> ${esc(item.unit)}
      <span class="muted">${esc(_("normal %(low)s to %(high)s", { low: item.min_value ?? "", high: item.max_value ?? "" }))}</span>`;
  }
  if (item.kind === "choice") {
    const choices = typeof item.choices === "string" ? JSON.parse(item.choices || "[]") : item.choices || [];
    return `<select name="${name}" ${named}><option value="">—</option>${choices.map((c) => `<option ${a && a.value_text === c ? "selected" : ""}>${esc(c)}</option>`).join("")}</select>`;
  }
  if (item.kind === "text") return `<input name="${name}" ${named} value="${esc(a ? a.value_text || "" : "")}">`;
  return "";
}

// An inspection's open checklist items (the server's rule: every item answered without
// problems), and whether it has no checklist at all.
export function checklistGaps(data, o) {
  const items = [...data.checklist_item.values()].filter((i) => i.template_id === o.checklist_template_id && !i.deleted_at).sort((a, b) => a.position - b.position);
  if (!o.checklist_template_id || !items.length) return { none: true, missing: [] };
  const latest = latestAnswers(data, o.id);
  const missing = items.filter((item) => {
    const a = latest.get(item.id);
    return !a || evaluate(item, a).problems.length;
  });
  return { none: false, missing };
}

// The checklist as answered, read-only: what the technician sent (after submit).
export function checklistSummary(data, o) {
  const items = [...data.checklist_item.values()].filter((i) => i.template_id === o.checklist_template_id && !i.deleted_at).sort((a, b) => a.position - b.position);
  if (!items.length) return "";
  const latest = latestAnswers(data, o.id);
  const value = (item, a) => {
    if (item.kind === "pass_fail") return a.passed === null || a.passed === undefined ? "" : a.passed ? _("Pass") : _("Fail");
    if (item.kind === "reading") return a.value_number === null || a.value_number === undefined ? "" : `${a.value_number} ${item.unit || ""}`;
    if (item.kind === "photo") return a.photo_sha256 ? _("Photo taken") : "";
    return a.value_text || "";
  };
  const rows = items.map((item) => {
    const a = latest.get(item.id);
    const verdict = a ? evaluate(item, a) : { passed: false, problems: ["answer_required"] };
    const badge = a ? `<span class="badge ${verdict.passed ? "good" : "warn"}">${esc(verdict.passed ? _("Pass") : _("Fail"))}</span>` : `<span class="badge warn">${esc(_("Not answered yet"))}</span>`;
    return `<li data-summary-item="${esc(item.id)}">${item.position}. ${esc(item.label)}: <b>${esc(a ? value(item, a) : "")}</b> ${badge}${a && a.remark ? ` <span class="muted">${esc(a.remark)}</span>` : ""}</li>`;
  });
  return `<section class="card" data-testid="checklist-summary"><h2>${esc(_("Checklist"))}</h2><ul class="items">${rows.join("")}</ul></section>`;
}

export const checklistScreen = {
  title: () => _("Checklist"),
  html(app, data, params, id) {
    const o = data.work_order.get(id);
    if (!o) return `<p class="error">${esc(_("This work order is not on this device."))}</p>`;
    const items = [...data.checklist_item.values()].filter((i) => i.template_id === o.checklist_template_id && !i.deleted_at).sort((a, b) => a.position - b.position);
    const latest = latestAnswers(data, id);
    const rectFor = new Map([...data.work_order.values()].filter((w) => w.parent_id === id).map((w) => [w.parent_item_id, w]));
    let open = 0;
    const rows = items.map((item) => {
      const a = latest.get(item.id);
      const verdict = a ? evaluate(item, a) : { passed: false, problems: ["answer_required"] };
      if (verdict.problems.length) open += 1;
      const failed = a && !verdict.passed && !verdict.problems.includes("answer_required") && !verdict.problems.includes("photo_required");
      const rect = rectFor.get(item.id);
      return `<li class="card" data-item="${esc(item.id)}" data-position="${item.position}" data-state="${verdict.problems.length ? "open" : verdict.passed ? "pass" : "fail"}">
        <b>${item.position}. ${esc(item.label)}</b> ${a ? `<span class="badge ${verdict.passed ? "good" : "warn"}">${esc(verdict.passed ? _("Pass") : _("Fail"))}</span>` : ""}
        <div class="inline">${input(item, a)}</div>
        ${item.kind === "photo" || item.photo_required ? `<label class="button secondary">${esc(a && a.photo_sha256 ? _("Replace photo") : _("Take photo"))}<input type="file" accept="image/*" capture="environment" data-photo="${esc(item.id)}" hidden></label>` : ""}
        ${failed ? `<label>${esc(_("Remark (what you found or did)"))} <input name="remark-${item.id}" value="${esc(a.remark || "")}"></label>` : ""}
        ${failed && !rect ? `<button type="button" class="secondary" data-rectify="${esc(item.id)}">${esc(_("Open a rectification order"))}</button>` : ""}
        ${rect ? `<p><a href="/m/orders/${rect.id}" data-link>${esc(_("Rectification order opened"))}</a></p>` : ""}
        ${verdict.problems.length ? `<p class="muted">${verdict.problems.map((p) => esc(PROBLEM()[p] || p)).join(" · ")}</p>` : ""}
      </li>`;
    });
    return `<h1>${esc(_("Checklist"))}</h1>
      <p data-testid="checklist-open" data-open="${open}">${esc(_("%(n)s items still open", { n: open }))}</p>
      <ol class="list checklist" data-form="checklist">${rows.join("")}</ol>
      <p><a class="button" href="/m/orders/${id}" data-link>${esc(_("Back to the order"))}</a></p>`;
  },
  bind(app, root, data, params, id) {
    const o = data.work_order.get(id);
    if (!o) return;
    const items = new Map([...data.checklist_item.values()].map((i) => [i.id, i]));
    const latest = latestAnswers(data, id);
    const save = async (itemId, changes) => {
      const item = items.get(itemId);
      const before = latest.get(itemId) || {};
      const answer = { value_text: before.value_text ?? null, value_number: before.value_number ?? null, passed: before.passed ?? null, remark: before.remark || "", photo_sha256: before.photo_sha256 || null, ...changes };
      if (item.kind === "pass_fail" && answer.passed !== null) answer.passed = Boolean(Number(answer.passed));
      await write(app, "inspection.answer", { id: uuid7(), work_order_id: id, item_id: itemId, ...answer, at: new Date().toISOString() });
      await app.render({ keepFocus: true });
    };
    root.querySelector("[data-form=checklist]").addEventListener("change", async (e) => {
      const el = e.target;
      const li = el.closest("[data-item]");
      if (!li || el.type === "file") return;
      const item = items.get(li.dataset.item);
      if (el.name.startsWith("remark-")) return save(item.id, { remark: el.value });
      if (item.kind === "reading") return save(item.id, { value_number: el.value === "" ? null : Number(el.value) });
      if (item.kind === "pass_fail") return save(item.id, { passed: el.value === "1" });
      return save(item.id, { value_text: el.value });
    });
    for (const file of root.querySelectorAll("input[data-photo]")) {
      file.addEventListener("change", async () => {
        const photo = await compressPhoto(file.files[0]);
        await write(app, "work_order.add_photo", { id: uuid7(), work_order_id: id, stage: "evidence", sha256: photo.sha256, mime: photo.mime, size: photo.size, caption: items.get(file.dataset.photo).label }, { blob: photo });
        await save(file.dataset.photo, { photo_sha256: photo.sha256 });
      });
    }
    for (const button of root.querySelectorAll("[data-rectify]")) {
      button.addEventListener("click", async () => {
        const item = items.get(button.dataset.rectify);
        await write(app, "inspection.open_rectification", { id: uuid7(), work_order_id: id, item_id: item.id, title: `整改：${item.label}`, description: (latest.get(item.id) || {}).remark || "" });
        app.toast(_("Rectification order saved on this device."));
        app.render();
      });
    }
  },
};
