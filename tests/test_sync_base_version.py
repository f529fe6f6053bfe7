"""Guarded fields: a base version the server never issued is stale by definition.

It used to pass the staleness check (no write since a version that does not exist yet)
and overwrite the customer's signature.
"""

from tests import factories
from tests.device import Device, new_id

SHA1, SHA2 = "a" * 64, "b" * 64


def one(dev, name, args, base_version=None) -> dict:
    return dev.push_one(name, args, base_version)


def applied(dev, name, args, base_version=None) -> dict:
    return dev.applied(name, args, base_version)


def check_in(customer) -> dict:
    args = {"id": new_id(), "customer_id": customer["id"], "at": "2026-11-20T02:00:00Z"}
    return {**args, "lat": 30.2745, "lon": 120.1555, "accuracy": 12.0}


def test_a_base_version_never_issued_is_stale(client, db, tree):
    customer = factories.make_customer(db, tree["T1"], tree["am1"])
    am1 = Device(client, "am1", factories.PASSWORD)
    visit_id = applied(am1, "visit.check_in", check_in(customer))["id"]
    sign = {"visit_id": visit_id, "mime": "image/png", "size": 100}
    version = applied(am1, "visit.sign", {**sign, "sha256": SHA1}, base_version=1)["version"]
    result = one(am1, "visit.sign", {**sign, "sha256": SHA2}, base_version=version + 10**6)
    assert (result["status"], result["result"]["reason"]) == ("held", "stale_base")
    stored = db.execute("SELECT signature_sha256 FROM visit WHERE id = ?", [visit_id]).fetchone()
    assert stored[0] == SHA1
    # the version the device really saw still applies a re-sign of the same visit
    assert one(am1, "visit.sign", {**sign, "sha256": SHA2}, base_version=version)["status"] == (
        "applied"
    )


def test_merge_treats_an_unissued_or_non_integer_base_as_stale():
    from sync.fields import merge

    row = {"signature_sha256": SHA1, "version": 40}
    clock = {"signature_sha256": {"hlc": "0:0:x", "v": 30}}
    guarded = {"signature_sha256"}
    for base, stale in [(30, False), (40, False), (29, True), (41, True), (True, True)]:
        result = merge(row, clock, {"signature_sha256": SHA2}, "1:0:x", base, guarded)
        assert bool(result.conflicts) is stale, base
