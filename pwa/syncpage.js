// The sync screen: what is waiting to go, what went wrong, storage, version, sign-out.

import { _, formatTime, locale } from "./i18n.js";
import { sentLog } from "./store.js";
import { esc, label, reasonLabel } from "./ui.js";

const mb = (bytes) => (bytes === null || bytes === undefined ? "?" : (bytes / 1048576).toFixed(1));

export const syncScreen = {
  title: () => _("Sync"),
  async html(app, data) {
    const pending = data.outbox.filter((m) => m.status === "pending");
    const problems = (await sentLog(app.db)).concat(data.outbox).filter((m) => m.status === "rejected" || m.status === "held");
    const estimate = navigator.storage && navigator.storage.estimate ? await navigator.storage.estimate() : {};
    const persisted = navigator.storage && navigator.storage.persisted ? await navigator.storage.persisted() : false;
    return `
      <h1>${esc(_("Sync"))}</h1>
      <section class="card">
        <p data-testid="unsynced">${esc(_("%(n)s changes not yet synced", { n: pending.length }))}</p>
        <p>${esc(_("Last sync"))}: ${esc(app.lastSync ? formatTime(app.lastSync) : _("never"))}</p>
        <p>${esc(_("State"))}: ${esc(app.syncStateText())}</p>
        <button type="button" data-action="sync-now">${esc(_("Sync now"))}</button>
      </section>
      <section class="card"><h2>${esc(_("Waiting to be sent"))}</h2>
        <ul class="items">${pending.map((m) => `<li data-item-state="pending">${esc(formatTime(m.created_at))} · ${esc(label("mutation", m.name))}</li>`).join("") || `<li class="muted">${esc(_("Nothing waiting."))}</li>`}</ul>
      </section>
      <section class="card"><h2>${esc(_("Not applied"))}</h2>
        <ul class="items">${problems.map((m) => `<li data-item-state="${esc(m.status)}">${esc(label("mutation", m.name))} · ${esc(label("item", m.status))} — ${esc((m.result && (m.result.message || reasonLabel(m.result.reason))) || "")}</li>`).join("") || `<li class="muted">${esc(_("None"))}</li>`}</ul>
      </section>
      <section class="card"><h2>${esc(_("This device"))}</h2>
        <p data-testid="storage">${esc(_("Storage used: %(used)s MB of %(quota)s MB", { used: mb(estimate.usage), quota: mb(estimate.quota) }))} · ${esc(persisted ? _("kept by the browser") : _("may be cleared by the browser"))}</p>
        <p>${esc(_("App version"))}: <code data-testid="app-version">${esc(app.version)}</code></p>
        <p><a href="/m/notifications" data-link data-testid="notifications-link">${esc(_("Notifications"))}</a></p>
        <p><button type="button" class="secondary" data-action="language">${esc(locale === "en" ? "中文" : "English")}</button></p>
        <p><button type="button" class="danger" data-action="sign-out">${esc(_("Sign out"))}</button></p>
        <p class="error" role="alert" data-role="sign-out-error">${esc(app.signOutError || "")}</p>
      </section>`;
  },
  bind(app, root) {
    root.querySelector("[data-action=sync-now]").addEventListener("click", () => app.sync.schedule({ now: true }));
    root.querySelector("[data-action=sign-out]").addEventListener("click", async () => {
      // Kept on the app, not the element: a sync finishing meanwhile re-renders the screen.
      app.signOutError = await app.signOut();
      if (app.signOutError) await app.render();
    });
  },
};
