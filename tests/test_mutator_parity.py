"""The device's previews of mutations (pwa/local.js MUTATORS via `replay`) give the fields the
server's handlers store, on the hand-computed cases of tests/mutator_cases.py."""

import pytest

from server import records
from server.sync_api.registry import build_registry
from tests import factories
from tests.browser import serving
from tests.device import Device, new_id
from tests.mutator_cases import cases

pytestmark = pytest.mark.browser

ENTITIES = list(build_registry().entities)
RUN_CASES = """async ([entities, cases]) => {
  const { replay } = await import('/m/assets/local.js');
  const config = { VISIT_FAR_METERS: 500, VISIT_LOW_ACCURACY_METERS: 100 };
  const out = {};
  for (const [name, c] of Object.entries(cases)) {
    const data = Object.fromEntries(entities.map((e) => [e, new Map()]));
    for (const [entity, row] of c.rows) data[entity].set(row.id, { ...row });
    const pending = c.mutations.map(([n, args], i) => (
      { id: i + 1, name: n, args, created_at: '2026-11-20T02:00:00.000Z', status: 'pending' }));
    replay(data, pending, { userId: c.user_id, config });
    out[name] = data[c.entity].get(c.row_id) || null;
  }
  return out;
}"""


@pytest.fixture
def world(db, tree):
    customer = factories.make_customer(db, tree["T1"], tree["am1"], lat=30.2741, lon=120.1551)
    site = factories.make_site(db, tree["T1"])
    order = factories.make_work_order(db, tree["T1"], assignee=tree["tech1"], site_id=site["id"])
    ids = {"customer": customer["id"], "order": order["id"]}
    ids.update({key: new_id() for key in ("v1", "v2", "v3", "v4", "c1")})
    pulled = [("customer", customer), ("site", site), ("work_order", order)]
    return tree, ids, pulled


def test_device_previews_match_the_server_handlers(app, client, db, chromium, world):
    tree, ids, pulled = world
    found = cases(ids)
    device_cases = {
        name: {
            "user_id": tree[user]["id"],
            "mutations": mutations,
            "entity": entity,
            "row_id": row_id,
            "rows": [(entity_, dict(row)) for entity_, row in pulled],
        }
        for name, (user, mutations, (entity, row_id), _) in found.items()
    }
    with serving(app) as server:
        page = chromium.new_page()
        try:
            page.goto(server.url + "/login")
            device = page.evaluate(RUN_CASES, [ENTITIES, device_cases])
        finally:
            page.close()
    phones = {}
    for name, (user, mutations, (entity, row_id), expected) in found.items():
        phone = phones.get(user) or phones.setdefault(
            user, Device(client, user, factories.PASSWORD)
        )
        status, body = phone.push([phone.mutation(n, args) for n, args in mutations])
        assert status == 200, body
        assert {r["status"] for r in body["results"]} == {"applied"}, (name, body["results"])
        stored = records.get(db, entity, row_id)
        assert {k: stored[k] for k in expected} == expected, (name, "server")
        assert device[name] is not None, (name, "device made no row")
        assert {k: device[name].get(k) for k in expected} == expected, (name, "device")
