// Local writes and the local view of the data.
// The replica holds the server's rows as last pulled. Every change the user makes is a
// mutation in the outbox; what the screens show is the replica with the outbox replayed
// on top (the same intent the server will apply). A write is one IndexedDB transaction:
// the outbox entry (and a photo's bytes) commit together, and only then is "saved" shown.
//
// Server twins, keep in step: each MUTATORS entry previews the server's handler of the same
// mutation name (registered in server/<domain>/sync.py; e.g. visit.* in
// server/visits/mutations.py, work_order.* in server/work_orders/mutations.py) — the server's
// answer replaces the preview at the next pull (parity: tests/mutator_cases.py,
// tests/test_mutator_parity.py); approxEvidence approximates
// server/visits/rules.py gps_evidence; evaluate ports server/inspections/evaluation.py
// evaluate (parity: tests/checklist_cases.py, tests/test_checklist_parity.py).

import { get, getAll, outbox, put, rowsOf, transact } from "./store.js";

// ---- hybrid logical clock, on the device's clock corrected by the server's ----

export async function nextStamp(stores, clientId, offsetMs) {
  const row = (await get(stores.kv, "hlc")) || { key: "hlc", value: { ms: 0, counter: 0 } };
  const now = Date.now() + offsetMs;
  const value = now > row.value.ms ? { ms: now, counter: 0 } : { ms: row.value.ms, counter: row.value.counter + 1 };
  await put(stores.kv, { key: "hlc", value });
  const node = clientId.replace(/-/g, "").slice(0, 8);
  return `${String(value.ms).padStart(15, "0")}:${String(value.counter).padStart(5, "0")}:${node}`;
}

export function uuid7() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let ms = Date.now();
  for (let i = 5; i >= 0; i--) {
    bytes[i] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  bytes[6] = (bytes[6] & 0x0f) | 0x70;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// Record one mutation (and optional blob) atomically. Resolves once it is on disk.
export async function write(app, name, args, { blob = null, baseVersion = null } = {}) {
  const session = app.session;
  const entry = await transact(app.db, ["outbox", "kv", "blobs"], "readwrite", async (s) => {
    const counter = (await get(s.kv, "next_mutation_id")) || { key: "next_mutation_id", value: 1 };
    const offset = ((await get(s.kv, "clock_offset_ms")) || { value: 0 }).value;
    const item = {
      id: counter.value,
      name,
      args,
      hlc: await nextStamp(s, session.client_id, offset),
      device_time: new Date().toISOString(),
      created_at: new Date().toISOString(),
      status: "pending",
    };
    if (baseVersion !== null && baseVersion !== undefined) item.base_version = baseVersion;
    await put(s.kv, { key: "next_mutation_id", value: counter.value + 1 });
    await put(s.outbox, item);
    if (blob) await put(s.blobs, { ...blob, uploaded: false, added_at: item.created_at });
    return item;
  });
  app.changed();
  return entry;
}

// ---- replaying the outbox over the replica ----

const VISIT_DEFAULTS = {
  status: "planned",
  purpose: "routine",
  notes: "",
  feedback: "",
  satisfaction: null,
  contacts_met: "[]",
  check_in_at: null,
  check_in_device_at: null,
  check_in_flag: null,
  check_in_distance_m: null,
};

export function haversine(lat1, lon1, lat2, lon2) {
  const rad = (d) => (d * Math.PI) / 180;
  const a =
    Math.sin(rad(lat2 - lat1) / 2) ** 2 +
    Math.cos(rad(lat1)) * Math.cos(rad(lat2)) * Math.sin(rad(lon2 - lon1) / 2) ** 2;
  return 2 * 6371008.8 * Math.asin(Math.sqrt(a));
}

export function approxEvidence(args, customer, config) {
  if (args.lat === null || args.lat === undefined) return { distance: null, flag: "no_fix" };
  const flags = [];
  let distance = null;
  if (!customer || customer.lat === null || customer.lat === undefined) {
    flags.push("no_customer_location");
  } else {
    distance = Math.round(haversine(args.lat, args.lon, customer.lat, customer.lon));
    if (distance > config.VISIT_FAR_METERS) flags.push("far");
  }
  if (args.accuracy === null || args.accuracy > config.VISIT_LOW_ACCURACY_METERS) flags.push("low_accuracy");
  return { distance, flag: flags.join(",") || "ok" };
}

function touch(map, id, defaults, mutation) {
  const row = { ...(map.get(id) || { id, ...defaults }) };
  row._pending = [...(row._pending || []), mutation.id];
  map.set(id, row);
  return row;
}

const MUTATORS = {
  "task.complete"(data, m) {
    const t = data.task.get(m.args.id);
    if (!t || t.kind !== "free_text" || t.done_at || t.status === "cancelled") return;
    Object.assign(touch(data.task, m.args.id, {}, m), { done_at: m.created_at, done_device_at: m.args.at, done_note: m.args.note || "" });
  },
  "retention.outcome"(data, m) {
    const t = data.retention_task.get(m.args.id);
    if (!t || t.status === "closed") return;
    Object.assign(touch(data.retention_task, m.args.id, {}, m), { status: "closed", outcome: m.args.outcome, outcome_reason: m.args.reason, outcome_device_at: m.args.at });
  },
  "appointment.record"(data, m, ctx) {
    if (data.appointment.has(m.args.id)) return;
    Object.assign(touch(data.appointment, m.args.id, {}, m), m.args, { status: "open", account_manager_id: ctx.userId, recorded_by: ctx.userId, visit_id: null, work_order_id: null, created_at: m.created_at });
  },
  "visit.plan"(data, m, ctx) {
    if (data.visit.has(m.args.id)) return;
    const v = touch(data.visit, m.args.id, VISIT_DEFAULTS, m);
    Object.assign(v, {
      customer_id: m.args.customer_id,
      planned_date: m.args.planned_date,
      purpose: m.args.purpose,
      account_manager_id: ctx.userId,
    });
  },
  "visit.check_in"(data, m, ctx) {
    const v = touch(data.visit, m.args.id, VISIT_DEFAULTS, m);
    if (!v.customer_id) Object.assign(v, { customer_id: m.args.customer_id, account_manager_id: ctx.userId });
    if (!v.planned_date) v.purpose = m.args.purpose || v.purpose;
    if (v.check_in_at || v.check_in_device_at) return;
    const ev = approxEvidence(m.args, data.customer.get(v.customer_id), ctx.config);
    Object.assign(v, {
      status: "in_progress",
      check_in_device_at: m.args.at,
      check_in_lat: m.args.lat,
      check_in_lon: m.args.lon,
      check_in_accuracy: m.args.accuracy,
      check_in_distance_m: ev.distance,
      check_in_flag: ev.flag,
      _approx: true,
    });
  },
  "visit.update"(data, m) {
    const v = touch(data.visit, m.args.id, VISIT_DEFAULTS, m);
    const fields = { ...m.args.fields };
    if (fields.contacts_met) fields.contacts_met = JSON.stringify(fields.contacts_met);
    Object.assign(v, fields);
  },
  "visit.check_out"(data, m) {
    const v = touch(data.visit, m.args.id, VISIT_DEFAULTS, m);
    if (v.status === "in_progress") {
      Object.assign(v, { status: "completed", check_out_device_at: m.args.at, check_out_lat: m.args.lat, check_out_lon: m.args.lon });
    }
  },
  "visit.cancel"(data, m) {
    touch(data.visit, m.args.id, VISIT_DEFAULTS, m).status = "cancelled";
  },
  "visit.resubmit"(data, m) {
    const v = touch(data.visit, m.args.id, VISIT_DEFAULTS, m);
    if (v.status === "returned") v.status = "completed";
  },
  "visit.add_photo"(data, m) {
    touch(data.visit_photo, m.args.id, {}, m);
    Object.assign(data.visit_photo.get(m.args.id), m.args);
  },
  "visit.add_follow_up"(data, m) {
    touch(data.follow_up, m.args.id, {}, m);
    Object.assign(data.follow_up.get(m.args.id), m.args);
  },
  "visit.log_contact"(data, m, ctx) {
    // A phone call or message: a completed contact at once, without GPS (server/visits/contacts_log.py).
    if (data.visit.has(m.args.id)) return;
    Object.assign(touch(data.visit, m.args.id, VISIT_DEFAULTS, m), {
      customer_id: m.args.customer_id,
      account_manager_id: ctx.userId,
      channel: m.args.channel,
      status: "completed",
      purpose: m.args.purpose || "routine",
      notes: m.args.notes || "",
      contact_id: m.args.contact_id || null,
      check_in_device_at: m.args.at,
      check_out_device_at: m.args.at,
    });
  },
  "follow_up.done"(data, m) {
    const f = data.follow_up.get(m.args.id);
    if (!f || f.done_at) return; // closed already: the server answers `already`
    Object.assign(touch(data.follow_up, m.args.id, {}, m), { done_at: m.created_at, done_device_at: m.args.at, done_note: m.args.note || "" });
  },
  "visit.sign"(data, m) {
    touch(data.visit, m.args.visit_id, VISIT_DEFAULTS, m).signature_sha256 = m.args.sha256;
  },
  "work_order.accept": orderStep,
  "work_order.travel": orderStep,
  "work_order.arrive": orderStep,
  "work_order.resolve": orderStep,
  "work_order.submit": orderStep,
  "work_order.update"(data, m) {
    const o = touch(data.work_order, m.args.id, {}, m);
    const fields = { ...m.args.fields };
    if (fields.parts_used) fields.parts_used = JSON.stringify(fields.parts_used);
    Object.assign(o, fields);
  },
  "work_order.add_photo"(data, m) {
    Object.assign(touch(data.work_order_photo, m.args.id, {}, m), m.args);
  },
  "work_order.report_exception"(data, m, ctx) {
    Object.assign(touch(data.work_order, m.args.id, {}, m), {
      wo_type: "exception_report",
      status: "submitted",
      title: m.args.title,
      description: m.args.description,
      lat: m.args.lat,
      lon: m.args.lon,
      site_id: m.args.site_id || null,
      reported_by: ctx.userId,
      created_at: m.created_at,
    });
  },
  "inspection.answer"(data, m) {
    const a = touch(data.inspection_answer, m.args.id, {}, m);
    Object.assign(a, m.args, { version: Number.MAX_SAFE_INTEGER - 1000000 + m.id });
    const item = data.checklist_item.get(m.args.item_id);
    if (item) a.passed = evaluate(item, m.args).passed ? 1 : 0;
  },
  "care.done"(data, m, ctx) {
    // One mark per user and item key (as on the server); kind and day come from the key.
    if ([...data.care_done.values()].some((d) => d.user_id === ctx.userId && d.item_key === m.args.key)) return;
    const [kind, ref, occursOn] = m.args.key.split(":");
    const contact = kind === "birthday" || kind === "key_date" ? data.contact.get(ref) : null;
    Object.assign(touch(data.care_done, m.args.id, {}, m), {
      user_id: ctx.userId,
      item_key: m.args.key,
      kind,
      occurs_on: occursOn,
      how: m.args.how,
      note: m.args.note || "",
      customer_id: kind === "anniversary" ? ref : contact ? contact.customer_id : null,
      contact_id: contact ? contact.id : null,
      done_at: m.created_at,
      done_device_at: m.args.at,
    });
  },
  "contact.add"(data, m) {
    if (data.contact.has(m.args.id)) return;
    const defaults = { title: "", phone: "", email: "", birthday: null, key_dates: "[]", notes: "" };
    Object.assign(touch(data.contact, m.args.id, defaults, m), m.args, { key_dates: JSON.stringify(m.args.key_dates || []), created_at: m.created_at });
  },
  "contact.update"(data, m) {
    const c = data.contact.get(m.args.id);
    if (!c || c.deleted_at) return;
    const fields = { ...m.args.fields };
    if ("key_dates" in fields) fields.key_dates = JSON.stringify(fields.key_dates || []);
    Object.assign(touch(data.contact, m.args.id, {}, m), fields);
  },
  "contact.remove"(data, m) {
    if (data.contact.has(m.args.id)) touch(data.contact, m.args.id, {}, m).deleted_at = m.created_at;
  },
  "customer.update"(data, m) {
    if (data.customer.has(m.args.id)) Object.assign(touch(data.customer, m.args.id, {}, m), m.args.fields);
  },
  "inspection.open_rectification"(data, m, ctx) {
    const parent = data.work_order.get(m.args.work_order_id) || {};
    const item = data.checklist_item.get(m.args.item_id) || {};
    Object.assign(touch(data.work_order, m.args.id, {}, m), {
      wo_type: "rectification",
      status: "dispatched",
      title: m.args.title || `整改：${item.label || ""}`,
      site_id: parent.site_id,
      parent_id: parent.id,
      parent_item_id: m.args.item_id,
      assignee_id: parent.assignee_id || ctx.userId,
      sla_grade: parent.sla_grade || "standard",
      created_at: m.created_at,
    });
  },
};

// ---- checklist evaluation: the same rule as server/inspections/evaluation.py ----

const list = (v) => (typeof v === "string" ? JSON.parse(v || "[]") : v || []);

export function evaluate(item, answer = {}) {
  let passed = null;
  let problem = null;
  const text = String(answer.value_text ?? "").trim();
  if (item.kind === "pass_fail") {
    if (answer.passed === undefined || answer.passed === null) problem = "answer_required";
    else passed = Boolean(answer.passed);
  } else if (item.kind === "reading") {
    const raw = answer.value_number ?? (text || null);
    if (raw === null || raw === "") problem = "answer_required";
    else if (Number.isNaN(Number(raw))) problem = "invalid_number";
    else {
      const n = Number(raw);
      passed = (item.min_value === null || item.min_value === undefined || n >= item.min_value) && (item.max_value === null || item.max_value === undefined || n <= item.max_value);
    }
  } else if (item.kind === "choice") {
    if (!text) problem = "answer_required";
    else if (!list(item.choices).includes(text)) problem = "invalid_choice";
    else passed = !list(item.failing_choices).includes(text);
  } else if (item.kind === "text") {
    if (text) passed = true;
    else problem = "answer_required";
  } else if (item.kind === "photo") {
    if (answer.photo_sha256) passed = true;
    else problem = "photo_required";
  }
  const problems = problem ? [problem] : [];
  if (passed === false && !String(answer.remark || "").trim()) problems.push("remark_required");
  if (item.photo_required && item.kind !== "photo" && !answer.photo_sha256) problems.push("photo_required");
  return { passed: Boolean(passed), problems };
}

const ENTITIES = [
  "customer",
  "contact",
  "public_holiday",
  "care_done",
  "visit",
  "visit_photo",
  "follow_up",
  "site",
  "checklist_template",
  "checklist_item",
  "work_order",
  "work_order_event",
  "work_order_photo",
  "inspection_answer",
  "scorecard",
  "task",
  "appointment",
  "retention_task",
];

const STEP_TARGET = {
  "work_order.accept": "accepted",
  "work_order.travel": "en_route",
  "work_order.arrive": "on_site",
  "work_order.resolve": "resolved",
  "work_order.submit": "submitted",
};

function orderStep(data, m, ctx) {
  const o = touch(data.work_order, m.args.id, {}, m);
  const target = STEP_TARGET[m.name];
  o.status = target;
  o[`${target}_at`] = m.args.at || m.created_at;
  if (m.name === "work_order.accept" && !o.assignee_id) o.assignee_id = ctx.userId;
  if (m.name === "work_order.arrive") {
    const site = data.site.get(o.site_id);
    const ev = approxEvidence(m.args, site, ctx.config);
    Object.assign(o, { check_in_lat: m.args.lat, check_in_lon: m.args.lon, check_in_accuracy: m.args.accuracy, check_in_distance_m: ev.distance, check_in_flag: ev.flag.replace("customer", "site"), _approx: true });
  }
  if (m.name === "work_order.resolve") {
    for (const key of ["diagnosis", "cause", "fix"]) if (key in m.args) o[key] = m.args[key];
    if ("parts_used" in m.args) o.parts_used = JSON.stringify(m.args.parts_used);
  }
}

// The data as the user should see it: replica + their unconfirmed mutations.
export async function view(app) {
  const data = {};
  for (const entity of ENTITIES) {
    data[entity] = new Map((await rowsOf(app.db, entity)).map((r) => [r.id, r]));
  }
  const pending = (await outbox(app.db)).sort((a, b) => a.id - b.id);
  replay(data, pending, { userId: app.session.user.id, config: app.config });
  data.outbox = pending;
  return data;
}

// Apply the outbox's mutations (in id order) to `data` (entity → Map of rows), as the server
// will (parity: tests/mutator_cases.py); refused and held ones are left out.
export function replay(data, pending, ctx) {
  for (const m of pending) {
    if (m.status === "rejected" || m.status === "held") continue;
    const mutator = MUTATORS[m.name];
    if (mutator) mutator(data, m, ctx);
  }
  return data;
}

export async function blobFor(app, sha) {
  return transact(app.db, ["blobs"], "readonly", (s) => get(s.blobs, sha));
}

export async function pendingBlobs(app) {
  const all = await transact(app.db, ["blobs"], "readonly", (s) => getAll(s.blobs));
  return all.filter((b) => !b.uploaded);
}
