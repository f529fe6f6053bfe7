// The device's local store in IndexedDB.
//   fieldbook-meta: who is signed in on this device (one record).
//   fieldbook-user-<id>: that user's replica, outbox, acknowledged log, photos, settings.
// Signing out deletes the user's database; a user switch never sees another's data.

const META_DB = "fieldbook-meta";
const USER_DB_VERSION = 1;

function promised(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function open(name, version, upgrade) {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(name, version);
    request.onupgradeneeded = (event) => upgrade(request.result, event.oldVersion);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
    request.onblocked = () => reject(new Error("database blocked by another tab"));
  });
}

// Run fn(stores) in one transaction; resolve with fn's result only once it commits.
export function transact(db, names, mode, fn) {
  return new Promise((resolve, reject) => {
    const tx = db.transaction(names, mode);
    const stores = Object.fromEntries(names.map((n) => [n, tx.objectStore(n)]));
    let result;
    Promise.resolve(fn(stores, tx))
      .then((value) => {
        result = value;
      })
      .catch((error) => {
        try {
          tx.abort();
        } catch (_) {
          /* already finished */
        }
        reject(error);
      });
    tx.oncomplete = () => resolve(result);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error("transaction aborted"));
  });
}

export const get = (store, key) => promised(store.get(key));
export const getAll = (store, query) => promised(store.getAll(query));
export const put = (store, value) => promised(store.put(value));
export const del = (store, key) => promised(store.delete(key));

// ---- the session (which user is signed in on this device) ----

async function metaDB() {
  return open(META_DB, 1, (db) => db.createObjectStore("session", { keyPath: "key" }));
}

export async function loadSession() {
  const db = await metaDB();
  const row = await transact(db, ["session"], "readonly", (s) => get(s.session, "current"));
  db.close();
  return row ? row.value : null;
}

export async function saveSession(value) {
  const db = await metaDB();
  await transact(db, ["session"], "readwrite", (s) => put(s.session, { key: "current", value }));
  db.close();
}

export async function clearSession() {
  const db = await metaDB();
  await transact(db, ["session"], "readwrite", (s) => del(s.session, "current"));
  db.close();
}

// ---- the user's replica ----

export function userDBName(userId) {
  return `fieldbook-user-${userId}`;
}

export function openUserDB(userId) {
  return open(userDBName(userId), USER_DB_VERSION, (db, oldVersion) => {
    // Migrations of local data: append a step per version, never change an old one.
    if (oldVersion < 1) {
      const rows = db.createObjectStore("rows", { keyPath: ["entity", "id"] });
      rows.createIndex("entity", "entity");
      db.createObjectStore("outbox", { keyPath: "id" });
      db.createObjectStore("sent", { keyPath: "id" });
      db.createObjectStore("blobs", { keyPath: "sha256" });
      db.createObjectStore("kv", { keyPath: "key" });
    }
  });
}

export function deleteUserDB(userId) {
  return promised(indexedDB.deleteDatabase(userDBName(userId)));
}

export async function kvGet(db, key, fallback = null) {
  const row = await transact(db, ["kv"], "readonly", (s) => get(s.kv, key));
  return row ? row.value : fallback;
}

export async function kvSet(db, key, value) {
  await transact(db, ["kv"], "readwrite", (s) => put(s.kv, { key, value }));
}

export async function rowsOf(db, entity) {
  const all = await transact(db, ["rows"], "readonly", (s) =>
    getAll(s.rows.index("entity"), entity),
  );
  return all.map((r) => r.row);
}

export async function outbox(db) {
  return transact(db, ["outbox"], "readonly", (s) => getAll(s.outbox));
}

export async function sentLog(db) {
  return transact(db, ["sent"], "readonly", (s) => getAll(s.sent));
}
