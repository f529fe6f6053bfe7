// Push notifications, imported by the service worker (sw.js). A pushed reminder is JSON:
// title, body, url (the /m/ screen to open), tag, kind, id, urgent (docs/push.md).
// Tapping it brings the app forward on that screen, or opens it there.

const SCREEN = /^\/m\/[\w\-/?=&]*$/;

self.addEventListener("push", (event) => {
  let message;
  try {
    message = event.data ? event.data.json() : {};
  } catch (_e) {
    message = { body: event.data ? event.data.text() : "" };
  }
  const url = typeof message.url === "string" && SCREEN.test(message.url) ? message.url : "/m/";
  event.waitUntil(
    self.registration.showNotification(message.title || "外勤通", {
      body: message.body || "",
      tag: message.tag || undefined,
      renotify: Boolean(message.tag),
      requireInteraction: Boolean(message.urgent),
      icon: "/m/assets/icons/icon-192.png",
      badge: "/m/assets/icons/icon-192.png",
      lang: "zh-CN",
      data: { url, kind: message.kind || "", id: message.id || null },
    }),
  );
});

async function openScreen(url) {
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  const app = windows.find((client) => new URL(client.url).pathname.startsWith("/m/"));
  if (!app) return self.clients.openWindow(url);
  // The page routes itself (pwa/push.js): an open form asks before it is left.
  app.postMessage({ type: "OPEN_SCREEN", url });
  try {
    await app.focus();
  } catch (_e) {
    /* focusing needs the tap's user activation; the screen has changed anyway */
  }
  return app;
}

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = (event.notification.data && event.notification.data.url) || "/m/";
  event.waitUntil(openScreen(url));
});
