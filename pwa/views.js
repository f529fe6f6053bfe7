// Field screens. Each renders from the local view (replica + outbox), online or not:
// there is one path, so nothing can work online and break offline.

import { _, locale, serverChoices } from "./i18n.js";
import { uuid7, write } from "./local.js";
import { openCareCount } from "./care.js";
import { bindCustomerEdits, contactsSection, customerSection } from "./contacts.js";
import { bindFollowUps, followUpsCard } from "./followups.js";
import { locate } from "./media.js";
import { openRetentionCount } from "./retention.js";
import { bindCalls, callsSection } from "./calls.js";
import { localDay, relativeDay, today } from "./times.js";
import { esc, label, lastVisitDay, overdue, pendingNote } from "./ui.js";

// A home screen's header: its title, then the language switch and sign-out within reach.
export function homeHeader(title) {
  return `<div class="home-head"><h1>${esc(title)}</h1>
    <span class="home-actions"><button type="button" class="secondary" data-action="language" lang="${locale === "en" ? "zh-CN" : "en"}">${esc(locale === "en" ? "中文" : "English")}</button>
    <button type="button" class="danger" data-action="header-sign-out">${esc(_("Sign out"))}</button></span></div>`;
}

// ---- screens ----

export const screens = {
  login: {
    title: () => _("Sign in"),
    // again: the username of a device whose tokens were revoked (its outbox is kept).
    html: (app, again = null) => `
      <form class="card" data-form="login" data-again="${again ? "1" : ""}">
        <h1>${esc(_("Sign in"))}</h1>
        <p class="muted">${esc(again ? _("Sign in again to sync (your changes are kept)") : _("Sign in once with a connection; after that the app works offline."))}</p>
        <label>${esc(_("Username"))} <input name="username" autocomplete="username" required${again ? ` value="${esc(again)}" readonly` : ` value="${esc(app.loginUsername || "")}"`}></label>
        <label>${esc(_("Password"))} <input name="password" type="password" autocomplete="current-password" required></label>
        <p class="error" role="alert">${esc(app.loginError || "")}</p>
        <button type="submit">${esc(_("Sign in"))}</button>
      </form>
      ${again ? "" : `<p><button type="button" class="secondary" data-action="language" lang="${locale === "en" ? "zh-CN" : "en"}">${esc(locale === "en" ? "中文" : "English")}</button></p>`}`,
    bind(app, root) {
      root.querySelector("[data-form=login]").addEventListener("submit", async (e) => {
        e.preventDefault();
        const f = new FormData(e.target);
        await app.signIn(f.get("username"), f.get("password"));
      });
    },
  },

  home: {
    title: () => _("Today"),
    html(app, data) {
      const customers = [...data.customer.values()];
      const late = customers.filter((c) => overdue(app, data, c));
      const planned = [...data.visit.values()].filter((v) => v.status === "planned" && v.planned_date <= today());
      const open = [...data.visit.values()].filter((v) => v.status === "in_progress");
      const rework = [...data.visit.values()].filter((v) => v.status === "returned" && !v.deleted_at);
      const name = (id) => esc((data.customer.get(id) || {}).name || "");
      return `
        ${homeHeader(_("Hello, %(name)s", { name: app.session.user.display_name }))}
        ${["supervisor", "admin"].includes(app.session.user.role) ? `<p><a class="button" href="/reviews/" data-testid="review-desk-link">${esc(_("Review desk"))}</a></p>` : ""}
        <section class="card">
          <h2>${esc(_("Visits in progress"))}</h2>
          ${open.map((v) => `<a class="row" href="/m/visits/${v.id}" data-link>${name(v.customer_id)} ${pendingNote(data, v)}</a>`).join("") || `<p class="muted">${esc(_("None"))}</p>`}
        </section>
        ${rework.length ? `<section class="card" data-testid="rework"><h2>${esc(_("Returned for rework"))}</h2>
          ${rework.map((v) => `<a class="row" href="/m/visits/${v.id}" data-link>${name(v.customer_id)} · <span class="error">${esc(v.return_reason || "")}</span> ${pendingNote(data, v)}</a>`).join("")}</section>` : ""}
        ${followUpsCard(app, data)}
        <section class="card">
          <h2>${esc(_("Planned visits due"))}</h2>
          ${planned.map((v) => `<a class="row" href="/m/visits/${v.id}" data-link>${esc(v.planned_date)} · ${name(v.customer_id)}</a>`).join("") || `<p class="muted">${esc(_("None"))}</p>`}
        </section>
        <nav class="tiles">
          <a href="/m/customers" data-link>${esc(_("My customers"))} <b>${customers.length}</b></a>
          <a href="/m/customers?overdue=1" data-link>${esc(_("Overdue"))} <b class="warn">${late.length}</b></a>
          <a href="/m/sync" data-link>${esc(_("Sync"))}</a>
          <a href="/m/tasks" data-link data-testid="tasks-tile">${esc(_("My tasks"))} <b>${[...data.task.values()].filter((t) => t.status === "open" && !t.deleted_at && t.assignee_id === app.session.user.id).length}</b></a>
          <a href="/m/appointments" data-link>${esc(_("Appointments"))}</a>
          <a href="/m/care" data-link data-testid="care-tile">${esc(_("Care this week"))} <b>${openCareCount(app, data)}</b></a>
          <a href="/m/retention" data-link data-testid="retention-tile">${esc(_("Retention visits"))} <b>${openRetentionCount(app, data)}</b></a>
          <a href="/m/scorecard" data-link data-testid="scorecard-tile">${esc(_("My scorecard"))}</a>
        </nav>
        <p><a class="button secondary" href="/m/report" data-link>${esc(_("Report an exception"))}</a></p>`;
    },
    bind(app, root) {
      bindFollowUps(app, root);
    },
  },

  customers: {
    title: () => _("My customers"),
    html(app, data, params) {
      const q = (params.get("q") || "").trim().toLowerCase();
      const onlyLate = params.get("overdue") === "1";
      const rows = [...data.customer.values()]
        .filter((c) => !q || `${c.name} ${c.code} ${c.address}`.toLowerCase().includes(q))
        .filter((c) => !onlyLate || overdue(app, data, c))
        .sort((a, b) => a.customer_class.localeCompare(b.customer_class) || a.name.localeCompare(b.name, "zh"));
      return `
        <h1>${esc(_("My customers"))}</h1>
        <form data-form="search" class="search"><input type="search" name="q" value="${esc(q)}" placeholder="${esc(_("Search name, code or address"))}">
        ${onlyLate ? '<input type="hidden" name="overdue" value="1">' : ""}</form>
        <ul class="list" data-testid="customer-list">
        ${rows
          .map((c) => {
            const last = lastVisitDay(data, c.id);
            return `<li><a href="/m/customers/${c.id}" data-link>
              <span class="badge class-${esc(c.customer_class)}">${esc(label("customer_class", c.customer_class))}</span>
              <b>${esc(c.name)}</b> <span class="muted">${esc(label("sla_grade", c.sla_grade))}</span>
              <span class="muted">${esc(_("Last visit"))}: ${esc(last ? `${last} (${relativeDay(last)})` : _("never"))}</span>
              ${overdue(app, data, c) ? `<span class="badge warn">${esc(_("Overdue"))}</span>` : ""}</a></li>`;
          })
          .join("")}
        </ul>
        ${rows.length ? "" : `<p class="muted">${esc(_("No customers match."))}</p>`}`;
    },
    bind(app, root) {
      root.querySelector("[data-form=search]").addEventListener("input", (e) => {
        const params = new URLSearchParams(new FormData(e.currentTarget));
        app.go(`/m/customers?${params}`, { replace: true, keepFocus: true });
      });
    },
  },

  customer: {
    title: () => _("Customer"),
    html(app, data, params, id) {
      const c = data.customer.get(id);
      if (!c) return `<p class="error">${esc(_("This customer is not on this device."))}</p>`;
      const contacts = [...data.contact.values()].filter((x) => x.customer_id === id && !x.deleted_at);
      const visits = [...data.visit.values()].filter((v) => v.customer_id === id).sort((a, b) => String(b.check_in_device_at || b.planned_date || "").localeCompare(String(a.check_in_device_at || a.planned_date || ""))).slice(0, 10);
      return `
        <h1>${esc(c.name)}</h1>
        <p><span class="badge class-${esc(c.customer_class)}">${esc(label("customer_class", c.customer_class))}</span> ${esc(label("sla_grade", c.sla_grade))}
        ${overdue(app, data, c) ? `<span class="badge warn" data-testid="customer-overdue">${esc(_("Overdue"))}</span>` : ""}</p>
        <p class="muted">${esc(c.address)}</p>
        ${contactsSection(app, data, id)}
        ${customerSection(app, data, c)}
        ${callsSection(contacts)}
        <section class="card"><h2>${esc(_("Start or plan a visit"))}</h2>
          <button type="button" data-action="start-visit" data-customer="${esc(id)}">${esc(_("Start a visit now (GPS check-in)"))}</button>
          <form data-form="plan" class="inline">
            <input type="date" name="planned_date" required value="${today()}" aria-label="${esc(_("Planned date"))}">
            <select name="purpose" aria-label="${esc(_("Purpose"))}">${serverChoices("visit_purpose").map(([k, v]) => `<option value="${k}">${esc(v)}</option>`).join("")}</select>
            <button type="submit" class="secondary">${esc(_("Plan a visit"))}</button>
          </form>
        </section>
        <section class="card"><h2>${esc(_("Recent visits"))}</h2>
          ${visits.map((v) => `<a class="row" href="/m/visits/${v.id}" data-link>${esc(v.planned_date || localDay(v.check_in_device_at) || "")} · ${esc(label("visit_status", v.status))} · ${esc(label("visit_purpose", v.purpose))}${v.channel && v.channel !== "on_site" ? ` · <span data-channel="${esc(v.channel)}">${esc(label("visit_channel", v.channel))}</span>` : ""} ${pendingNote(data, v)}</a>`).join("") || `<p class="muted">${esc(_("None"))}</p>`}
        </section>`;
    },
    bind(app, root, data, params, id) {
      bindCustomerEdits(app, root, data, id);
      bindCalls(app, root, id);
      const start = root.querySelector("[data-action=start-visit]");
      if (start) {
        start.addEventListener("click", async () => {
          start.disabled = true;
          start.textContent = _("Getting your position…");
          const fix = await locate();
          const visitId = uuid7();
          await write(app, "visit.check_in", { id: visitId, customer_id: id, purpose: "routine", ...fix });
          app.toast(_("Checked in. Saved on this device."));
          app.go(`/m/visits/${visitId}`);
        });
      }
      const plan = root.querySelector("[data-form=plan]");
      if (plan) {
        plan.addEventListener("input", () => app.setFormOpen(true));
        plan.addEventListener("submit", async (e) => {
          e.preventDefault();
          const f = new FormData(plan);
          await write(app, "visit.plan", { id: uuid7(), customer_id: id, planned_date: f.get("planned_date"), purpose: f.get("purpose") });
          app.setFormOpen(false);
          app.toast(_("Visit planned. Saved on this device."));
          app.render();
        });
      }
    },
  },
};
