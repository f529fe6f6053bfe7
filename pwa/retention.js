// Retention tasks on the device: a churn warning's visit with the rules that fired and their
// figures (server/retention/rules.py), and recording how it ended (retention.outcome), offline.

import { _, formatTime, labelsOf } from "./i18n.js";
import { write } from "./local.js";
import { esc, pendingNote } from "./ui.js";

export const OUTCOMES = () => labelsOf("retention_outcome");
const TENDENCY = () => labelsOf("churn_tendency");
const BUNDLING = () => labelsOf("bundling");
const RULES = () => labelsOf("churn_rule");

function reasons(task) {
  try {
    return JSON.parse(task.reasons || "{}");
  } catch (_e) {
    return {};
  }
}

// One line per fired rule with the figures behind it.
export function reasonText(rule) {
  const name = RULES()[rule.rule] || rule.rule;
  if (rule.rule === "contract_end") {
    return `${name}: ${_("contract ends %(date)s, %(days)s days after %(as_of)s (window %(window)s days)", { date: rule.contract_end, days: rule.days_left, as_of: rule.as_of, window: rule.window_days })}`;
  }
  return `${name}: ${_("%(current)s against an average of %(baseline)s (%(before)s), down %(pct)s", { current: rule.current, baseline: rule.baseline, before: (rule.before || []).join(" / "), pct: rule.drop_pct })} %`;
}

export function myRetentionTasks(app, data) {
  const me = app.session.user.id;
  const all = [...(data.retention_task || new Map()).values()].filter((t) => !t.deleted_at);
  const mine = all.filter((t) => t.assignee_id === me);
  const shown = mine.length || app.session.user.role === "account_manager" ? mine : all;
  return shown.sort((a, b) => (a.status === b.status ? a.due_date.localeCompare(b.due_date) : a.status === "open" ? -1 : 1));
}

export const openRetentionCount = (app, data) => myRetentionTasks(app, data).filter((t) => t.status === "open").length;

export const retentionListScreen = {
  title: () => _("Retention visits"),
  html(app, data) {
    const name = (id) => esc((data.customer.get(id) || {}).name || "");
    const rows = myRetentionTasks(app, data).filter((t) => t.status === "open").map((t) => {
      const first = (reasons(t).fired || [])[0];
      return `<li data-retention-task="${esc(t.id)}" data-status="${esc(t.status)}" data-outcome="${esc(t.outcome || "")}">
        <a href="/m/retention/${esc(t.id)}" data-link><b>${name(t.customer_id)}</b></a>
        <span class="badge ${t.tendency === "high" ? "warn" : ""}">${esc(TENDENCY()[t.tendency] || t.tendency)}</span>
        ${t.outcome ? `<span class="badge good">${esc(OUTCOMES()[t.outcome] || t.outcome)}</span>` : ""} ${pendingNote(data, t)}<br>
        <span class="muted">${first ? esc(reasonText(first)) : ""} · ${esc(_("due %(date)s", { date: t.due_date }))}</span></li>`;
    });
    return `<h1>${esc(_("Retention visits"))}</h1>
      <ul class="list" data-testid="retention-list">${rows.join("")}</ul>
      ${rows.length ? "" : `<p class="muted">${esc(_("No retention visits."))}</p>`}`;
  },
};

export const retentionScreen = {
  title: () => _("Retention visit"),
  html(app, data, params, id) {
    const t = (data.retention_task || new Map()).get(id);
    if (!t) return `<p class="error">${esc(_("This retention visit is not on this device."))}</p>`;
    const customer = data.customer.get(t.customer_id) || {};
    const r = reasons(t);
    const fired = (r.fired || []).map((f) => `<li data-rule="${esc(f.rule)}">${esc(reasonText(f))}</li>`).join("");
    const outcome = t.outcome
      ? `<p data-outcome-shown="${esc(t.outcome)}"><b>${esc(OUTCOMES()[t.outcome] || t.outcome)}</b>: ${esc(t.outcome_reason || "")} ${pendingNote(data, t)}</p>`
      : `<form data-form="retention-outcome">
          <fieldset><legend>${esc(_("Outcome"))}</legend>
          ${Object.entries(OUTCOMES()).map(([value, text]) => `<label><input type="radio" name="outcome" value="${value}" required> ${esc(text)}</label>`).join("")}
          </fieldset>
          <label>${esc(_("Reason"))} <textarea name="reason" maxlength="2000" required></textarea></label>
          <p class="error" data-testid="outcome-error" hidden></p>
          <button type="submit">${esc(_("Record the outcome"))}</button>
        </form>`;
    return `<h1>${esc(_("Retention visit"))}: ${esc(customer.name || "")}</h1>
      <section class="card" data-retention-task="${esc(t.id)}" data-status="${esc(t.status)}" data-outcome="${esc(t.outcome || "")}">
        <p>${esc(TENDENCY()[t.tendency] || t.tendency)} · ${esc(BUNDLING()[t.bundling] || t.bundling)} · ${esc(_("due %(date)s", { date: t.due_date }))}</p>
        <h2>${esc(_("Why"))}</h2>
        <ul data-testid="retention-reasons">${fired}</ul>
        <p class="muted">${esc(_("Billing month %(month)s, policy version %(v)s", { month: t.month, v: t.policy_version }))}</p>
        ${customer.id ? `<p><a class="button secondary" href="/m/customers/${esc(customer.id)}" data-link>${esc(_("Customer"))}</a></p>` : ""}
        ${outcome}
        ${t.outcome_at ? `<p class="muted">${esc(formatTime(t.outcome_at))}</p>` : ""}
      </section>`;
  },
  bind(app, root, data, params, id) {
    const form = root.querySelector("[data-form=retention-outcome]");
    if (!form) return;
    form.addEventListener("input", () => app.setFormOpen(true));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const values = new FormData(form);
      const outcome = values.get("outcome");
      const reason = String(values.get("reason") || "").trim();
      const error = form.querySelector("[data-testid=outcome-error]");
      if (!outcome || !reason) {
        error.hidden = false;
        error.textContent = _("Choose an outcome and give the reason.");
        return;
      }
      app.setFormOpen(false);
      await write(app, "retention.outcome", { id, outcome, reason, at: new Date().toISOString() });
      app.toast(_("Saved on this device."));
      app.render();
    });
  },
};
