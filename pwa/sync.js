// The sync client: uploads photos, pushes the outbox in order, pulls changes by cursor.
// Runs on open, on `online`, when the app becomes visible, after each write and on a
// timer. The protocol is in docs/sync-protocol.md.
//
// A busy server (`stopped`, 429, 5xx, an answer cut off) is not an error: nothing is lost
// and pushes are idempotent, so the client waits and sends the same batch again, backing
// off (the server's retry time, else 2 s, doubling up to 5 min); other triggers wait too.
// No connection at all ("offline"): every trigger still tries at once, and a timer tries
// again after 15 s, doubling up to 5 min; the `online` event ends any back-off.

import { del, get, getAll, kvGet, kvSet, outbox, put, transact } from "./store.js";
import { pendingBlobs } from "./local.js";

// Upload answers that refuse a file for good (server twin: sync/blobs.py, sync/images.py):
// the photo is kept on the phone marked refused, and sync goes on with the rest.
const REFUSED_BLOB = new Set(["bad_image", "bad_content", "bad_type", "bad_size", "hash_mismatch"]);

const PUSH_BATCH = 200;
const CHUNK = 256 * 1024;
const SENT_RETENTION_DAYS = 30;
const RETRY_FIRST_MS = 2000;
const RETRY_OFFLINE_FIRST_MS = 15000;
const RETRY_MAX_MS = 5 * 60 * 1000;

class Offline extends Error {}
class SignInAgain extends Error {}
// The server cannot take this now; `seconds` is its own hint (retry_after, Retry-After).
class Waiting extends Error {
  constructor(reason, seconds = null) {
    super(reason);
    this.seconds = seconds;
  }
}

function retryAfter(response) {
  const seconds = Number(response.headers.get("Retry-After"));
  return Number.isFinite(seconds) && seconds > 0 ? seconds : null;
}

export class SyncClient {
  constructor(app) {
    this.app = app;
    this.running = null;
    this.again = false;
    this.state = "idle"; // idle | syncing | offline | waiting | error | signin
    this.error = null;
    this.failures = 0; // consecutive waits: the back-off doubles with each
    this.retryAt = null; // while waiting: when the next attempt runs (ms)
    this.retryTimer = null;
    // Registered before the app's own `online` listener, which then syncs at once.
    window.addEventListener("online", () => this.stopWaiting());
  }

  stopWaiting() {
    clearTimeout(this.retryTimer);
    this.failures = 0;
    this.retryAt = null;
  }

  schedule({ now = false } = {}) {
    // While backing off, only the timer (or the user's "Sync now") starts a run.
    if (this.retryAt && !now && Date.now() < this.retryAt) return Promise.resolve();
    // Coalesce triggers: one run at a time, one more queued if asked while running.
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.run().finally(() => {
      this.running = null;
      if (this.again) {
        this.again = false;
        this.schedule();
      }
    });
    return this.running;
  }

  async run() {
    // The server refused this device's tokens (revoked): nothing to try until the user
    // signs in again (app.signIn clears the mark). Kept in the session, so that a reload,
    // online or not, asks for the password at once rather than after a sync.
    // Only the status is redrawn: the sign-in form (or an open form) is already on screen,
    // and a timer's render would wipe a half-typed password.
    if (this.app.session.signin_needed) {
      this.state = "signin";
      return this.app.renderStatus();
    }
    this.state = "syncing";
    this.app.renderStatus();
    try {
      await this.uploadBlobs();
      await this.push();
      await this.pull();
      await this.uploadBlobs();
      await kvSet(this.app.db, "last_sync_at", new Date().toISOString());
      this.state = "idle";
      this.error = null;
      this.stopWaiting();
    } catch (error) {
      if (error instanceof Offline) this.retryOffline();
      else if (error instanceof Waiting) this.waitAndRetry(error);
      else if (error instanceof SignInAgain) {
        this.state = "signin";
        await this.app.updateSession({ signin_needed: true });
      }
      else {
        this.state = "error";
        this.error = String(error && error.message ? error.message : error);
        console.error(error);
      }
    }
    this.app.changed(false);
  }

  // Back off: the server's hint or the doubling delay, whichever is longer, with jitter
  // so that many devices do not come back at the same moment.
  waitAndRetry(error) {
    const backoff = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** this.failures);
    const hinted = error.seconds ? error.seconds * 1000 : 0;
    const delay = Math.min(RETRY_MAX_MS, Math.max(hinted, backoff)) * (0.9 + Math.random() * 0.2);
    this.failures += 1;
    this.state = "waiting";
    this.error = error.message;
    this.retryAt = Date.now() + delay;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.schedule({ now: true }), delay);
  }

  // No connection: try again later by the timer (any other trigger still tries at once).
  retryOffline() {
    const delay = Math.min(RETRY_MAX_MS, RETRY_OFFLINE_FIRST_MS * 2 ** this.failures);
    this.failures += 1;
    this.state = "offline";
    this.retryAt = null;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.schedule(), delay);
  }

  // The JSON of an answer; a busy server or a cut-off answer means: wait, send again.
  async answerOf(response, what) {
    if (response.status >= 500 || response.status === 429) {
      throw new Waiting(`${what}: server busy (${response.status})`, retryAfter(response));
    }
    try {
      return await response.json();
    } catch (_error) {
      if (response.ok) throw new Waiting(`${what}: the answer was cut off`);
      throw new Error(`${what} failed (${response.status})`, { cause: _error });
    }
  }

  // ---- HTTP with the device token; refresh once on 401 ----

  async request(path, { method = "POST", body = null, headers = {}, raw = false } = {}) {
    const send = () => {
      const h = { Authorization: `Bearer ${this.app.session.access_token}`, ...headers };
      if (body !== null && !raw) h["Content-Type"] = "application/json";
      return fetch(path, { method, headers: h, body: raw || body === null ? body : JSON.stringify(body), cache: "no-store" });
    };
    let response;
    try {
      response = await send();
      if (response.status === 401) {
        await this.refresh();
        response = await send();
      }
    } catch (error) {
      if (error instanceof SignInAgain || error instanceof Waiting) throw error;
      throw new Offline(String(error)); // no answer at all: offline or the connection dropped
    }
    if (response.status === 401) throw new SignInAgain();
    return response;
  }

  async refresh() {
    let response;
    try {
      response = await fetch("/api/auth/refresh", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ refresh_token: this.app.session.refresh_token }),
      });
    } catch (error) {
      throw new Offline(String(error));
    }
    // Busy (429: the sign-in limiter, 5xx: a proxy) is not a refusal: wait, try again.
    if (response.status === 429 || response.status >= 500) {
      throw new Waiting(`refresh: server busy (${response.status})`, retryAfter(response));
    }
    if (!response.ok) throw new SignInAgain();
    const pair = await response.json();
    await this.app.updateSession({ access_token: pair.access_token, refresh_token: pair.refresh_token });
  }

  noteServerTime(serverTime, sentAt, receivedAt) {
    const server = Date.parse(serverTime);
    if (Number.isNaN(server)) return;
    const offset = Math.round(server - (sentAt + receivedAt) / 2);
    return kvSet(this.app.db, "clock_offset_ms", offset);
  }

  // ---- blobs: resumable, chunked, each chunk hashed ----

  async uploadBlobs() {
    for (const blob of await pendingBlobs(this.app)) {
      const head = await this.request(`/api/blobs/${blob.sha256}`, { method: "HEAD" });
      if (head.status >= 500 || head.status === 429) await this.answerOf(head, "upload");
      let offset = Number(head.headers.get("Upload-Offset") || 0);
      if (head.headers.get("Blob-State") === "complete") offset = blob.size;
      const bytes = new Uint8Array(await blob.data.arrayBuffer());
      let refused = null;
      while (offset < blob.size) {
        const chunk = bytes.slice(offset, offset + CHUNK);
        const digest = await crypto.subtle.digest("SHA-256", chunk);
        const chunkSha = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
        const response = await this.request(`/api/blobs/${blob.sha256}`, {
          method: "PUT",
          raw: true,
          body: chunk,
          headers: {
            "Content-Type": blob.mime,
            "Upload-Offset": String(offset),
            "Upload-Length": String(blob.size),
            "Chunk-SHA256": chunkSha,
          },
        });
        const answer = await this.answerOf(response, "upload");
        if (REFUSED_BLOB.has(answer.error)) {
          refused = answer.error; // the server will never take these bytes: do not loop on them
          break;
        }
        if (response.ok || response.status === 409 || response.status === 422) {
          offset = Number(response.headers.get("Upload-Offset") ?? answer.offset ?? 0);
          if (!response.ok && answer.error === "hash_mismatch") throw new Error(`photo ${blob.sha256.slice(0, 8)}: ${answer.message}`);
        } else {
          throw new Error(answer.message || `upload failed (${response.status})`);
        }
      }
      await transact(this.app.db, ["blobs"], "readwrite", async (s) => {
        const row = await get(s.blobs, blob.sha256);
        if (row) await put(s.blobs, { ...row, uploaded: true, refused });
      });
    }
  }

  // ---- push ----

  async deviceReport() {
    const pending = (await outbox(this.app.db)).filter((m) => m.status === "pending");
    const estimate = navigator.storage && navigator.storage.estimate ? await navigator.storage.estimate() : {};
    return {
      unsynced_count: pending.length,
      oldest_unsynced_at: pending.length ? pending.map((m) => m.created_at).sort()[0] : null,
      storage_used: estimate.usage ?? null,
      storage_quota: estimate.quota ?? null,
      clock_offset_ms: await kvGet(this.app.db, "clock_offset_ms", 0),
    };
  }

  async push() {
    for (;;) {
      const pending = (await outbox(this.app.db)).filter((m) => m.status === "pending").sort((a, b) => a.id - b.id);
      if (!pending.length) return;
      const batch = pending.slice(0, PUSH_BATCH).map(({ id, name, args, hlc, base_version, device_time }) => ({ id, name, args, hlc, base_version, device_time }));
      const sentAt = Date.now();
      const response = await this.request("/api/sync/push", {
        body: {
          client_id: this.app.session.client_id,
          server_epoch: await kvGet(this.app.db, "epoch"),
          schema_version: 1,
          app_version: this.app.version,
          mutations: batch,
          device: await this.deviceReport(),
        },
      });
      const answer = await this.answerOf(response, "push");
      if (answer.server_time) await this.noteServerTime(answer.server_time, sentAt, Date.now());
      if (response.status === 409 && answer.reset) return this.reset(answer.server_epoch);
      // Only a client id the server never saw may omit the epoch: keep the first one given.
      if (response.ok && answer.server_epoch && !(await kvGet(this.app.db, "epoch"))) {
        await kvSet(this.app.db, "epoch", answer.server_epoch);
      }
      if (response.status === 409 && answer.error === "gap") {
        await this.requeueFrom(answer.expected_id);
        continue;
      }
      if (!response.ok) throw new Error(answer.message || answer.error || `push failed (${response.status})`);
      await this.recordResults(answer.results);
      // The rest of the batch was not applied (busy or full): send it again after a while.
      if (answer.stopped) throw new Waiting(`push: ${answer.stopped.code}`, answer.stopped.retry_after);
    }
  }

  async recordResults(results) {
    await transact(this.app.db, ["outbox"], "readwrite", async (s) => {
      for (const r of results) {
        const entry = await get(s.outbox, r.id);
        if (!entry) continue;
        const status = r.status === "duplicate" ? r.original : r.status;
        entry.status = status === "applied" ? "acked" : status;
        entry.result = r.result || null;
        entry.acked_at = new Date().toISOString();
        await put(s.outbox, entry);
      }
    });
  }

  // The server has less than we sent (restored, or a lost client): send it again.
  async requeueFrom(expectedId) {
    await transact(this.app.db, ["outbox", "sent"], "readwrite", async (s) => {
      for (const entry of await getAll(s.sent)) {
        if (entry.id >= expectedId) {
          await put(s.outbox, { ...entry, status: "pending" });
          await del(s.sent, entry.id);
        }
      }
      for (const entry of await getAll(s.outbox)) {
        if (entry.id >= expectedId && entry.status !== "pending") await put(s.outbox, { ...entry, status: "pending" });
      }
    });
  }

  // ---- pull ----

  async pull() {
    for (;;) {
      const sentAt = Date.now();
      const response = await this.request("/api/sync/pull", {
        body: {
          client_id: this.app.session.client_id,
          server_epoch: await kvGet(this.app.db, "epoch"),
          cursor: await kvGet(this.app.db, "cursor"),
        },
      });
      const answer = await this.answerOf(response, "pull");
      if (response.status === 409 && answer.reset) {
        await this.reset(answer.server_epoch);
        return;
      }
      if (!response.ok) throw new Error(answer.message || `pull failed (${response.status})`);
      await this.noteServerTime(answer.server_time, sentAt, Date.now());
      await this.applyPage(answer);
      if (!answer.has_more) return;
    }
  }

  async applyPage(page) {
    await transact(this.app.db, ["rows", "kv", "outbox", "sent"], "readwrite", async (s) => {
      for (const change of page.changes) {
        if (change.op === "put") await put(s.rows, { entity: change.entity, id: change.id, row: change.row });
        else await del(s.rows, [change.entity, change.id]);
      }
      await put(s.kv, { key: "cursor", value: page.cursor });
      await put(s.kv, { key: "epoch", value: page.server_epoch });
      await put(s.kv, { key: "last_mutation_id", value: page.last_mutation_id });
      if (page.config) await put(s.kv, { key: "config", value: page.config });
      if (page.has_more) return;
      // The replica now reflects every mutation up to last_mutation_id: retire them.
      const cutoff = new Date(Date.now() - SENT_RETENTION_DAYS * 86400000).toISOString();
      for (const entry of await getAll(s.outbox)) {
        if (entry.id <= page.last_mutation_id && entry.status !== "pending") {
          await put(s.sent, entry);
          await del(s.outbox, entry.id);
        }
      }
      for (const entry of await getAll(s.sent)) {
        if ((entry.acked_at || entry.created_at) < cutoff && entry.status === "acked") await del(s.sent, entry.id);
      }
    });
  }

  // The server was restored from a backup: start the replica again, keep every change
  // it may lack, and send those again (ids make the re-send duplicate-free).
  async reset(newEpoch) {
    await transact(this.app.db, ["rows", "kv"], "readwrite", async (s) => {
      await s.rows.clear();
      await put(s.kv, { key: "cursor", value: null });
      await put(s.kv, { key: "epoch", value: newEpoch });
    });
    await this.pull();
    await this.requeueFrom((await kvGet(this.app.db, "last_mutation_id", 0)) + 1);
    await this.push();
    await this.pull();
  }
}
