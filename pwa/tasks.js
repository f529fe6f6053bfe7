// My tasks on the device: progress computed offline from the local view (replica + outbox),
// by the same rule as the server (server/tasks/rules.py — read its docstring; keep in step;
// parity: tests/task_cases.py, run on both by tests/test_tasks.py and test_browser_tasks.py).

import { _, labelsOf } from "./i18n.js";
import { write } from "./local.js";
import { inSet } from "./statuses.js";
import { readTime, today } from "./times.js";
import { esc, label } from "./ui.js";

// The device's check-in time unless it is later than the server's receipt.
export function checkInTime(visit) {
  const device = readTime(visit.check_in_device_at);
  const server = readTime(visit.check_in_at);
  if (device !== null && (server === null || device <= server)) return device;
  return server;
}

function targets(task) {
  const raw = task.target_customer_ids || "[]";
  return typeof raw === "string" ? JSON.parse(raw) : [...raw];
}

export function counts(task, visit) {
  if (task.kind === "free_text" || visit.deleted_at) return false;
  if (visit.account_manager_id !== task.assignee_id) return false;
  if ((visit.channel || "on_site") !== "on_site") return false;
  if (!inSet("visit_done", visit.status)) return false;
  const at = checkInTime(visit);
  const start = readTime(task.window_start_at);
  const end = readTime(task.window_end_at);
  if (at === null || !(start <= at && at < end)) return false;
  if (task.kind === "class_coverage") return targets(task).includes(visit.customer_id);
  if (visit.purpose !== task.purpose) return false;
  const keyword = (task.keyword || "").trim().toLowerCase();
  return !keyword || (visit.notes || "").toLowerCase().includes(keyword);
}

export function taskProgress(task, visits) {
  const counted = [...visits].filter((v) => counts(task, v));
  const customers = new Set(counted.map((v) => v.customer_id));
  let missing = [];
  let done;
  let target;
  if (task.kind === "free_text") {
    done = task.done_at ? 1 : 0;
    target = 1;
  } else if (task.kind === "class_coverage") {
    const all = targets(task);
    missing = all.filter((c) => !customers.has(c));
    done = all.length - missing.length;
    target = all.length;
  } else {
    target = Number(task.target_count || 0);
    done = Math.min(customers.size, target);
  }
  const percent = target === 0 ? 100 : Math.floor((100 * done) / target);
  return { done, target, percent, complete: done >= target, counted: counted.map((v) => v.id).sort(), missing };
}

export function taskState(task, progress, day = today()) {
  if (task.status === "cancelled") return "cancelled";
  if (progress.complete) return "done";
  return day > task.due_date ? "overdue" : "open";
}

const KINDS = () => labelsOf("task_kind");
const STATES = () => labelsOf("task_state");

function myTasks(app, data) {
  const me = app.session.user.id;
  const all = [...data.task.values()].filter((t) => !t.deleted_at && t.status !== "cancelled");
  const mine = all.filter((t) => t.assignee_id === me);
  return (mine.length || app.session.user.role === "account_manager" ? mine : all).sort((a, b) => a.due_date.localeCompare(b.due_date) || a.title.localeCompare(b.title));
}

function bar(p) {
  return `<progress value="${p.done}" max="${p.target || 1}">${p.percent}%</progress> <span data-testid="figures">${esc(_("%(done)s of %(target)s", { done: p.done, target: p.target }))} (${p.percent}%)</span>`;
}

export const tasksScreen = {
  title: () => _("My tasks"),
  html(app, data) {
    const visits = [...data.visit.values()];
    const rows = myTasks(app, data).map((t) => {
      const p = taskProgress(t, visits);
      const state = taskState(t, p);
      return `<li data-task="${esc(t.id)}" data-done="${p.done}" data-target="${p.target}" data-state="${state}">
        <a href="/m/tasks/${esc(t.id)}" data-link><b>${esc(t.title)}</b></a>
        <span class="badge ${state === "overdue" ? "warn" : state === "done" ? "good" : ""}">${esc(STATES()[state])}</span><br>
        <span class="muted">${esc(KINDS()[t.kind] || t.kind)} · ${esc(_("due %(date)s", { date: t.due_date }))}</span><br>${bar(p)}</li>`;
    });
    return `<h1>${esc(_("My tasks"))}</h1>
      <ul class="list" data-testid="task-list">${rows.join("")}</ul>
      ${rows.length ? "" : `<p class="muted">${esc(_("No tasks."))}</p>`}`;
  },
};

export const taskScreen = {
  title: () => _("Task"),
  html(app, data, params, id) {
    const t = data.task.get(id);
    if (!t) return `<p class="error">${esc(_("This task is not on this device."))}</p>`;
    const p = taskProgress(t, [...data.visit.values()]);
    const name = (cid) => esc((data.customer.get(cid) || {}).name || cid);
    const visit = (vid) => data.visit.get(vid) || {};
    return `<h1>${esc(t.title)}</h1>
      <p>${esc(KINDS()[t.kind] || t.kind)} · ${esc(t.start_date)} – ${esc(t.due_date)}</p>
      ${t.description ? `<p>${esc(t.description)}</p>` : ""}
      <section class="card" data-testid="task-progress" data-done="${p.done}" data-target="${p.target}"><h2>${esc(_("Progress"))}</h2>${bar(p)}
      ${t.kind === "free_text" && !t.done_at && t.status === "open" ? `<form data-form="task-done" class="inline"><input name="note" maxlength="2000" placeholder="${esc(_("Note (optional)"))}"><button type="submit">${esc(_("Mark done"))}</button></form>` : ""}
      ${t.done_at ? `<p>${esc(_("Done"))} ${esc(t.done_note || "")}</p>` : ""}</section>
      ${t.kind === "class_coverage" ? `<section class="card"><h2>${esc(_("Customers still to visit"))}</h2>${p.missing.map((c) => `<a class="row" href="/m/customers/${esc(c)}" data-link data-missing="${esc(c)}">${name(c)}</a>`).join("") || `<p class="muted">${esc(_("None"))}</p>`}</section>` : ""}
      ${t.kind !== "free_text" ? `<section class="card"><h2>${esc(_("Visits counted"))}</h2>${p.counted.map((v) => `<a class="row" href="/m/visits/${esc(v)}" data-link>${name(visit(v).customer_id)} · ${esc(label("visit_status", visit(v).status))}</a>`).join("") || `<p class="muted">${esc(_("None yet."))}</p>`}</section>` : ""}`;
  },
  bind(app, root, data, params, id) {
    const form = root.querySelector("[data-form=task-done]");
    if (!form) return;
    form.addEventListener("input", () => app.setFormOpen(true));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      app.setFormOpen(false);
      const note = new FormData(form).get("note") || "";
      await write(app, "task.complete", { id, at: new Date().toISOString(), note });
      app.toast(_("Saved on this device."));
      app.render();
    });
  },
};
