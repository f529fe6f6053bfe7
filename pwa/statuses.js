// Named status sets, the server's (server/visits/statuses.py, server/work_orders/statuses.py
// — read their comments for each rule). The pull sends them in its config (STATUS_SETS);
// these defaults, the same values, serve a device that has not synced yet.

export const DEFAULT_STATUS_SETS = {
  visit_took_place: ["completed", "approved", "in_progress", "returned"],
  visit_checked_out: ["completed", "approved", "returned"],
  visit_done: ["completed", "approved"],
  order_with_field: ["dispatched", "accepted", "en_route", "on_site", "resolved", "returned"],
  order_done: ["resolved", "submitted", "approved", "closed"],
};

let current = DEFAULT_STATUS_SETS;

// Take the sets of the app's config (app.config.STATUS_SETS, from the last pull).
export function useStatusSets(config) {
  current = { ...DEFAULT_STATUS_SETS, ...((config && config.STATUS_SETS) || {}) };
}

// Whether `status` is in the set `name`.
export function inSet(name, status) {
  return current[name].includes(status);
}
