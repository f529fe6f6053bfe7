// Notifications on this device: turned on only when the user presses the button (the
// browser's permission prompt never appears on its own), subscribed per device with the
// device token, removed at sign-out. Also the user's list of subscribed devices.

import { _, formatTime } from "./i18n.js";
import { esc } from "./ui.js";

const supported = () => "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;

function keyBytes(base64url) {
  const raw = atob(base64url.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
}

// The worker's registration, or none yet (never waits: sign-out must not hang on it).
const registration = () => navigator.serviceWorker.getRegistration("/m/");

async function currentSubscription() {
  if (!supported()) return null;
  const found = await registration();
  return found ? found.pushManager.getSubscription() : null;
}

// Ask for permission (from a click), subscribe, and register the subscription with the server.
export async function enablePush(app) {
  if (!supported()) return _("This browser cannot show notifications.");
  const permission = await Notification.requestPermission();
  if (permission !== "granted") return _("Notifications are blocked. Allow them in the browser's site settings.");
  let subscription = null;
  try {
    const keyResponse = await app.sync.request("/api/push/key", { method: "GET" });
    if (!keyResponse.ok) return _("Could not turn notifications on. Try again when online.");
    const { public_key: publicKey } = await keyResponse.json();
    const worker = await registration();
    if (!worker) return _("Could not turn notifications on. Try again when online.");
    subscription =
      (await worker.pushManager.getSubscription()) ||
      (await worker.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(publicKey) }));
    const body = { ...subscription.toJSON(), device_name: navigator.userAgent.slice(0, 80) };
    const saved = await app.sync.request("/api/push/subscriptions", { body });
    if (saved.ok) return null;
  } catch (_e) {
    /* below: not registered with the server */
  }
  // The server does not know this browser: unsubscribe it too, or the screen would say
  // "on" while no reminder can ever come, and offer only "Turn notifications off".
  if (subscription) await subscription.unsubscribe().catch(() => false);
  return _("Could not turn notifications on. Try again when online.");
}

// Stop notifications to this device: tell the server (best effort) and unsubscribe the browser.
export async function disablePush(app) {
  const subscription = await currentSubscription().catch(() => null);
  if (!subscription) return;
  try {
    await app.sync.request("/api/push/unsubscribe", { body: { endpoint: subscription.endpoint } });
  } catch (_e) {
    /* offline: the push service will answer 410 once unsubscribed, and the server forgets it */
  }
  await subscription.unsubscribe().catch(() => false);
}

// A tapped notification: the service worker asks the open app to show the screen.
export function listenForScreens(app) {
  if (!("serviceWorker" in navigator)) return;
  navigator.serviceWorker.addEventListener("message", (event) => {
    const message = event.data || {};
    if (message.type === "OPEN_SCREEN" && typeof message.url === "string" && message.url.startsWith("/m/")) app.go(message.url);
  });
}

async function devices(app) {
  try {
    const response = await app.sync.request("/api/push/subscriptions", { method: "GET" });
    return response.ok ? (await response.json()).subscriptions : null;
  } catch (_e) {
    return null;
  }
}

export const pushScreen = {
  title: () => _("Notifications"),
  async html(app) {
    const on = Boolean(await currentSubscription().catch(() => null));
    const permission = supported() ? Notification.permission : "unsupported";
    const list = await devices(app);
    const rows = (list || [])
      .map(
        (d) => `<li data-subscription="${esc(d.id)}">${esc(d.device_name || _("Unnamed device"))} · ${esc(formatTime(d.created_at))}
          <button type="button" class="secondary" data-action="push-remove" data-id="${esc(d.id)}">${esc(_("Remove"))}</button></li>`,
      )
      .join("");
    return `
      <h1>${esc(_("Notifications"))}</h1>
      <section class="card" data-push-state="${on ? "on" : "off"}" data-permission="${esc(permission)}">
        <p>${esc(on ? _("This device gets reminders: new work, deadlines, returned reports, visits and care dates.") : _("This device gets no reminders."))}</p>
        ${
          permission === "unsupported"
            ? `<p class="muted">${esc(_("This browser cannot show notifications."))}</p>`
            : on
              ? `<button type="button" class="secondary" data-action="push-disable">${esc(_("Turn notifications off"))}</button>`
              : `<button type="button" data-action="push-enable">${esc(_("Turn notifications on"))}</button>`
        }
        <p class="error" role="alert" data-role="push-error">${esc(app.pushError || "")}</p>
      </section>
      <section class="card"><h2>${esc(_("My devices with notifications"))}</h2>
        ${list === null ? `<p class="muted">${esc(_("Shown when online."))}</p>` : `<ul class="items" data-testid="push-devices">${rows || `<li class="muted">${esc(_("None"))}</li>`}</ul>`}
      </section>`;
  },
  bind(app, root) {
    const act = async (work) => {
      app.pushError = await work();
      await app.render();
    };
    root.querySelector("[data-action=push-enable]")?.addEventListener("click", () => act(() => enablePush(app)));
    root.querySelector("[data-action=push-disable]")?.addEventListener("click", () => act(() => disablePush(app)));
    for (const button of root.querySelectorAll("[data-action=push-remove]")) {
      button.addEventListener("click", () =>
        act(async () => {
          const response = await app.sync.request(`/api/push/subscriptions/${encodeURIComponent(button.dataset.id)}`, { method: "DELETE" }).catch(() => null);
          return response && response.ok ? null : _("Could not remove the device. Try again when online.");
        }),
      );
    }
  },
};
