// Fieldbook service worker, version __VERSION__.
// Precaches the whole field app on install; serves every /m/ screen from the cached shell
// (the page renders it from IndexedDB), so reloads and deep links work offline.
// A new version installs and then WAITS: the page asks the user, and only when nothing
// is unsynced and no form is open does it tell this worker to take over.

const VERSION = "__VERSION__";
const CACHE = `fieldbook-${VERSION}`;
const PRECACHE = __PRECACHE__;

importScripts("/m/assets/push-sw.js"); // push notifications and their taps

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(PRECACHE)));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("fieldbook-") && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "SKIP_WAITING") self.skipWaiting();
  if (event.data && event.data.type === "VERSION") event.source.postMessage({ type: "VERSION", version: VERSION });
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/api/")) return; // the sync client handles the network itself
  if (event.request.mode === "navigate" && url.pathname.startsWith("/m/")) {
    // Every field screen is the shell; the page renders the screen from the replica.
    event.respondWith(caches.match("/m/", { cacheName: CACHE }).then((hit) => hit || fetch(event.request)));
    return;
  }
  if (url.pathname.startsWith("/m/")) {
    event.respondWith(
      caches.match(event.request, { cacheName: CACHE, ignoreSearch: true }).then((hit) => hit || fetch(event.request)),
    );
  }
});
