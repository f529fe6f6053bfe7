// Fieldbook field app: boot, routing, status bar, sign-in/out, app updates.

import { _, loadLocale, locale } from "./i18n.js";
import { recentClockText } from "./times.js";
import { view, write } from "./local.js";
import { clearSession, deleteUserDB, kvGet, loadSession, openUserDB, outbox, saveSession } from "./store.js";
import { useStatusSets } from "./statuses.js";
import { SyncClient } from "./sync.js";
import { careScreen } from "./care.js";
import { checklistScreen } from "./checklist.js";
import { orderScreen, ordersScreen, reportScreen, siteScreen } from "./orders.js";
import { scorecardScreen } from "./scorecard.js";
import { syncScreen } from "./syncpage.js";
import { esc } from "./ui.js";
import { visitScreen } from "./visit.js";
import { screens } from "./views.js";
import { appointmentsScreen } from "./appointments.js";
import { taskScreen, tasksScreen } from "./tasks.js";
import { disablePush, listenForScreens, pushScreen } from "./push.js";
import { retentionListScreen, retentionScreen } from "./retention.js";

const DEFAULT_CONFIG = { VISIT_FAR_METERS: 500, VISIT_LOW_ACCURACY_METERS: 100 };
const TIMER_MS = 60000;
const INPUTS = "[data-form] textarea, [data-form] select, [data-form] input:not([type=file]):not([type=radio]):not([type=checkbox])";
const inputKey = (el) => {
  const form = el.closest("[data-form]");
  return `${form.dataset.form}|${form.dataset.key || ""}|${el.name}`;
};
// Each named input with its key; a name repeated in one form (a contact's key dates) is
// told apart by its place among its namesakes.
function keyedInputs(root) {
  const seen = new Map();
  const out = [];
  for (const el of root.querySelectorAll(INPUTS)) {
    if (!el.name) continue;
    const base = inputKey(el);
    const n = seen.get(base) || 0;
    seen.set(base, n + 1);
    out.push([`${base}|${n}`, el]);
  }
  return out;
}

// Each <details> with a key from what it is (its test id or summary) and whose it is (the
// nearest row with an id): an edit box the user opened stays open when a sync re-renders.
function keyedDetails(root) {
  const seen = new Map();
  const out = [];
  for (const el of root.querySelectorAll("details")) {
    const owner = el.parentElement && el.parentElement.closest("[data-contact],[data-id],[data-key]");
    const whose = owner ? owner.dataset.contact || owner.dataset.id || owner.dataset.key : "";
    const what = el.dataset.testid || (el.querySelector("summary") || el).textContent.trim().slice(0, 40);
    const base = `${what}|${whose}`;
    const n = seen.get(base) || 0;
    seen.set(base, n + 1);
    out.push([`${base}|${n}`, el]);
  }
  return out;
}
// Every named field of a form, keyed like keyedInputs; a radio or a box by its value too.
function focusable(root) {
  const seen = new Map();
  const out = [];
  for (const el of root.querySelectorAll("[data-form] [name]")) {
    const base = inputKey(el) + (el.type === "radio" || el.type === "checkbox" ? `|${el.value}` : "");
    const n = seen.get(base) || 0;
    seen.set(base, n + 1);
    out.push([`${base}|${n}`, el]);
  }
  return out;
}
const focusedKey = (root) => focusable(root).find(([, el]) => el === document.activeElement)?.[0] || null;
const CARET_TYPES = new Set(["text", "search", "tel", "url", "password", "textarea", ""]);
const openDetails = (root) => new Set(keyedDetails(root).filter(([, el]) => el.open).map(([key]) => key));

const ROUTES = [
  [/^\/m\/?$/, null], // home: by role
  [/^\/m\/login$/, screens.login],
  [/^\/m\/customers$/, screens.customers],
  [/^\/m\/customers\/([\w-]+)$/, screens.customer],
  [/^\/m\/visits\/([\w-]+)$/, visitScreen],
  [/^\/m\/sync$/, syncScreen],
  [/^\/m\/care$/, careScreen],
  [/^\/m\/orders$/, ordersScreen],
  [/^\/m\/orders\/([\w-]+)$/, orderScreen],
  [/^\/m\/orders\/([\w-]+)\/checklist$/, checklistScreen],
  [/^\/m\/sites\/([\w-]+)$/, siteScreen],
  [/^\/m\/report$/, reportScreen],
  [/^\/m\/scorecard$/, scorecardScreen],
  [/^\/m\/tasks$/, tasksScreen],
  [/^\/m\/tasks\/([\w-]+)$/, taskScreen],
  [/^\/m\/appointments$/, appointmentsScreen],
  [/^\/m\/notifications$/, pushScreen],
  [/^\/m\/retention$/, retentionListScreen],
  [/^\/m\/retention\/([\w-]+)$/, retentionScreen],
];

class App {
  constructor() {
    this.version = document.querySelector("meta[name=fieldbook-version]").content;
    this.session = null;
    this.db = null;
    this.config = DEFAULT_CONFIG;
    this.formOpen = false;
    this.lastSync = null;
    this.sync = new SyncClient(this);
    this.waitingWorker = null;
    this.pendingCount = 0;
    this.depth = 0; // screens opened in the app since it started (for the back control)
  }

  async start() {
    this.session = await loadSession();
    await loadLocale(this.session ? this.session.locale : localStorage.getItem("fieldbook-locale") || "zh_CN");
    this.registerWorker();
    listenForScreens(this);
    document.addEventListener("click", (e) => this.onClick(e));
    // Every screen opens at its top, back included: the browser must not restore a position.
    if ("scrollRestoration" in history) history.scrollRestoration = "manual";
    window.addEventListener("popstate", () => this.render().then(() => window.scrollTo(0, 0)));
    // Honest offline state: the bar says so the moment the network goes, not at the next write.
    window.addEventListener("offline", () => this.wentOffline());
    if (navigator.onLine === false) this.sync.state = "offline";
    if (!this.session) return this.go("/m/login", { replace: true });
    await this.openReplica();
    if (this.session.signin_needed) this.sync.state = "signin"; // tokens refused before a reload
    if (location.pathname === "/m/login") history.replaceState(null, "", "/m/");
    await this.render();
    this.startSyncLoop();
  }

  async openReplica() {
    this.db = await openUserDB(this.session.user.id);
    await this.loadConfig();
    this.lastSync = await kvGet(this.db, "last_sync_at");
  }

  // The server's settings as of the last pull; the status sets go to statuses.js for the screens.
  async loadConfig() {
    this.config = { ...DEFAULT_CONFIG, ...(await kvGet(this.db, "config", {})) };
    useStatusSets(this.config);
  }

  startSyncLoop() {
    this.sync.schedule();
    window.addEventListener("online", () => this.sync.schedule());
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") this.sync.schedule();
    });
    setInterval(() => this.sync.schedule(), TIMER_MS);
  }

  // ---- navigation ----

  onClick(e) {
    const link = e.target.closest("a[data-link]");
    if (link && !e.ctrlKey && !e.metaKey) {
      e.preventDefault();
      return this.go(link.getAttribute("href"));
    }
    const action = e.target.closest("[data-action]");
    if (action && action.dataset.action === "open-sync") this.go("/m/sync");
    if (action && action.dataset.action === "apply-update") this.applyUpdate();
    if (action && action.dataset.action === "back") this.back();
    if (action && action.dataset.action === "language") this.switchLanguage();
    if (action && action.dataset.action === "header-sign-out") this.signOutFromHeader();
  }

  go(path, { replace = false, keepFocus = false } = {}) {
    if (this.formOpen && !replace && !confirm(_("Leave this form? Changes you have not saved will be lost."))) return;
    this.setFormOpen(false);
    this.signOutError = null;
    history[replace ? "replaceState" : "pushState"](null, "", path);
    if (!replace) this.depth += 1;
    // A new screen opens at its top; a re-render of the same screen (a sync) keeps its place.
    return this.render({ keepFocus }).then(() => {
      if (!keepFocus) window.scrollTo(0, 0);
    });
  }

  // The bar's back control (the standalone app has no browser back button): back within
  // the app, else home.
  back() {
    if (this.depth > 0 && !this.formOpen) {
      this.depth -= 1;
      history.back();
    } else this.go("/m/");
  }

  async render({ keepFocus = false } = {}) {
    const root = document.getElementById("app");
    this.renderBack();
    if (!this.session) {
      root.innerHTML = screens.login.html(this);
      screens.login.bind(this, root);
      return this.renderStatus();
    }
    // The device's tokens were revoked (password reset or changed, account disabled):
    // ask for the password again over the app, keeping the replica and the outbox.
    if (this.sync.state === "signin" && !this.formOpen) {
      root.innerHTML = screens.login.html(this, this.session.user.username);
      screens.login.bind(this, root);
      this.pendingCount = (await outbox(this.db)).filter((m) => m.status === "pending").length;
      return this.renderStatus();
    }
    const path = location.pathname;
    const params = new URLSearchParams(location.search);
    const home = this.session.user.role === "technician" ? ordersScreen : screens.home;
    const match = ROUTES.map(([re, screen]) => [path.match(re), screen || home]).find(([m]) => m);
    const data = await view(this);
    this.pendingCount = data.outbox.filter((m) => m.status === "pending").length;
    if (!match) {
      root.innerHTML = `<p class="error">${esc(_("Page not found."))}</p>`;
    } else {
      const [m, screen] = match;
      // The field the user is in, by the same key as a typed value (a name alone can repeat:
      // the customer's notes and a call's notes), so that a re-render between a tap and the
      // first keystroke leaves the keyboard in that field and not in a namesake.
      const html = await screen.html(this, data, params, m[1]);
      // Read what was typed only now: a render that began before the user typed (a sync
      // finishing) must not wipe what they entered while it was reading the data.
      const focused = keepFocus ? focusedKey(root) : null;
      const unsaved = this.formOpen ? this.unsavedInputs(root) : null;
      const opened = openDetails(root);
      root.innerHTML = html;
      if (unsaved) this.restoreInputs(root, unsaved);
      for (const [key, el] of keyedDetails(root)) if (opened.has(key)) el.open = true;
      document.title = `${screen.title()} · 外勤通`;
      if (screen.bind) screen.bind(this, root, data, params, m[1]);
      if (focused) {
        const el = focusable(root).find(([key]) => key === focused)?.[1];
        if (el) {
          el.focus();
          // Only text fields have a caret: radios, numbers and dates throw on it.
          if (CARET_TYPES.has(el.type)) el.setSelectionRange(el.value.length, el.value.length);
        }
      }
    }
    this.renderStatus();
  }

  // What the user typed into an open form and has not saved: kept across re-renders
  // (a photo added or a sync finishing must not wipe a half-written report).
  // Keyed by form (its data-form and data-key: a list can hold one small form per row) and name.
  unsavedInputs(root) {
    const values = new Map();
    for (const [key, el] of keyedInputs(root)) values.set(key, el.value);
    return values;
  }

  restoreInputs(root, values) {
    for (const [key, el] of keyedInputs(root)) {
      if (values.has(key)) el.value = values.get(key);
    }
  }

  // Called after local writes and after each sync run.
  async changed(triggerSync = true) {
    if (this.db) {
      this.lastSync = await kvGet(this.db, "last_sync_at");
      await this.loadConfig();
      this.pendingCount = (await outbox(this.db)).filter((m) => m.status === "pending").length;
    }
    if (triggerSync) this.sync.schedule();
    else if (!this.formOpen) await this.render({ keepFocus: true });
    this.renderStatus();
  }

  wentOffline() {
    if (!this.session || this.sync.state === "signin") return;
    this.sync.state = "offline";
    this.renderStatus();
  }

  // The sign-out from a home screen's header (and the Sync page): an error shows as a toast.
  async signOutFromHeader() {
    if (!confirm(_("Sign out of this device?"))) return;
    const error = await this.signOut();
    if (error) this.toast(error);
  }

  renderBack() {
    const back = document.getElementById("back");
    if (!back) return;
    const path = location.pathname.replace(/\/$/, "");
    back.hidden = !this.session || path === "/m" || path === "/m/login";
    back.setAttribute("aria-label", _("Back"));
  }

  syncStateText() {
    return {
      idle: _("Up to date with the server"),
      syncing: _("Syncing…"),
      offline: _("Offline: changes are kept on this device"),
      waiting: _("Server busy: trying again shortly. Changes are kept on this device"),
      error: `${_("Sync problem")}: ${this.sync.error || ""}`,
      signin: _("Sign in again to sync (your changes are kept)"),
    }[this.sync.state];
  }

  renderStatus() {
    // No network (the browser knows it): offline whatever the last run said.
    if (this.session && navigator.onLine === false && ["idle", "syncing"].includes(this.sync.state)) this.sync.state = "offline";
    const el = document.getElementById("sync-status");
    const n = this.pendingCount;
    el.dataset.state = this.sync.state;
    el.dataset.unsynced = String(n);
    // Nothing waiting and nothing wrong: one phrase and the time ("已与服务器同步 · 09:12").
    const when = this.lastSync ? recentClockText(this.lastSync) : _("never synced");
    const parts = n || this.sync.state !== "idle" ? [n ? _("%(n)s not yet synced", { n }) : _("All synced"), when, this.syncStateText()] : [this.syncStateText(), when];
    el.textContent = this.session ? parts.join(" · ") : "";
    this.renderBanner();
  }

  setFormOpen(open) {
    this.formOpen = open;
    this.renderBanner();
  }

  toast(message) {
    const el = document.createElement("div");
    el.className = "toast";
    el.setAttribute("role", "status");
    el.textContent = message;
    document.body.append(el);
    setTimeout(() => el.remove(), 3000);
  }

  // ---- sign-in and sign-out ----

  async signIn(username, password) {
    this.loginUsername = username; // a failed sign-in keeps it (only the password is cleared)
    let response;
    try {
      response = await fetch("/api/auth/token", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ username, password, device_name: navigator.userAgent.slice(0, 80) }),
      });
    } catch (_e) {
      this.loginError = _("No connection. The first sign-in needs the network.");
      return this.render();
    }
    if (!response.ok) {
      let code = null;
      try {
        code = (await response.json()).error;
      } catch (_e) {
        /* not JSON (a proxy): the generic message */
      }
      this.loginError =
        response.status === 429
          ? _("Too many attempts. Wait a minute.")
          : code === "password_change_required"
            ? _("Your password must be changed first: sign in on the website to choose a new one, then sign in here with it.")
            : _("Wrong username or password, or the account is disabled.");
      return this.render();
    }
    const body = await response.json();
    if (this.session) {
      // Signing in again on this device: only as the same user, whose unsynced work is
      // here. Keep the client id and the outbox; sync at once.
      if (body.user.id !== this.session.user.id) {
        this.loginError = _("Wrong username or password, or the account is disabled.");
        return this.render();
      }
      await this.updateSession({ user: body.user, access_token: body.access_token, refresh_token: body.refresh_token, signin_needed: false });
      this.loginError = "";
      this.sync.state = "idle";
      await this.render();
      return this.sync.schedule({ now: true });
    }
    this.session = {
      user: body.user,
      access_token: body.access_token,
      refresh_token: body.refresh_token,
      client_id: crypto.randomUUID(),
      locale: this.loginLocale || body.user.locale || "zh_CN", // chosen on the sign-in screen
    };
    await saveSession(this.session);
    if (navigator.storage && navigator.storage.persist) await navigator.storage.persist();
    await loadLocale(this.session.locale);
    this.loginError = "";
    await this.openReplica();
    if (this.loginLocale && this.loginLocale !== body.user.locale) await write(this, "user.locale", { locale: this.session.locale });
    this.loginUsername = "";
    history.replaceState(null, "", "/m/");
    await this.render();
    this.startSyncLoop();
  }

  async updateSession(changes) {
    this.session = { ...this.session, ...changes };
    await saveSession(this.session);
  }

  async signOut() {
    const pending = (await outbox(this.db)).filter((m) => m.status === "pending").length;
    if (pending) {
      await this.sync.schedule();
      const left = (await outbox(this.db)).filter((m) => m.status === "pending").length;
      if (left) return _("%(n)s changes are not yet synced. Sync them before signing out, or they would be lost.", { n: left });
    }
    await disablePush(this); // no reminders for this user on this device after sign-out
    try {
      await fetch("/api/auth/revoke", { method: "POST", headers: { Authorization: `Bearer ${this.session.access_token}` } });
    } catch (_e) {
      /* offline: the token expires on its own; an admin can revoke it */
    }
    const userId = this.session.user.id;
    this.db.close();
    await deleteUserDB(userId);
    await clearSession();
    location.assign("/m/login");
    return null;
  }

  async switchLanguage() {
    const wanted = locale === "en" ? "zh_CN" : "en";
    if (!this.session) {
      // On the sign-in screen: this device's language until the user signs in.
      localStorage.setItem("fieldbook-locale", wanted);
      this.loginLocale = wanted;
      await loadLocale(wanted);
      return this.render();
    }
    await this.updateSession({ locale: wanted });
    await loadLocale(this.session.locale);
    // The server speaks to the user away from the app too (push reminders): tell it, offline-safe.
    if (this.db) await write(this, "user.locale", { locale: this.session.locale });
    await this.render();
  }

  // ---- app updates: a new version waits until the user agrees and nothing is unsent ----

  registerWorker() {
    if (!("serviceWorker" in navigator)) return;
    navigator.serviceWorker.register("/m/sw.js", { scope: "/m/" }).then((reg) => {
      this.registration = reg;
      if (reg.waiting && navigator.serviceWorker.controller) this.waitingWorker = reg.waiting;
      reg.addEventListener("updatefound", () => {
        const worker = reg.installing;
        worker.addEventListener("statechange", () => {
          if (worker.state === "installed" && navigator.serviceWorker.controller) {
            this.waitingWorker = worker;
            this.renderBanner();
          }
        });
      });
      this.renderBanner();
    });
    let reloading = false;
    navigator.serviceWorker.addEventListener("controllerchange", () => {
      if (reloading || !this.updateAccepted) return;
      reloading = true;
      location.reload();
    });
  }

  renderBanner() {
    const banner = document.getElementById("banner");
    if (!this.waitingWorker) {
      banner.hidden = true;
      return;
    }
    banner.hidden = false;
    const blocked = this.pendingCount > 0 || this.formOpen;
    banner.dataset.blocked = String(blocked);
    banner.innerHTML = blocked
      ? esc(_("A new version of the app is ready. It will be offered once your changes are synced and no form is open."))
      : `${esc(_("A new version of the app is ready."))} <button type="button" data-action="apply-update">${esc(_("Update now"))}</button>`;
  }

  async applyUpdate() {
    const pending = this.db ? (await outbox(this.db)).filter((m) => m.status === "pending").length : 0;
    if (!this.waitingWorker || pending || this.formOpen) return this.renderBanner();
    this.updateAccepted = true;
    this.waitingWorker.postMessage({ type: "SKIP_WAITING" });
  }
}

const app = new App();
window.fieldbook = app; // for the browser tests and for support on a device
app.start().catch((error) => {
  console.error(error);
  document.getElementById("app").innerHTML = `<p class="error">${esc(String(error))}</p>`;
});
