"""user.locale: the language chosen on the device reaches the server with the next sync."""

from tests import factories
from tests.device import Device


def locale_of(db, user):
    return db.execute("SELECT locale FROM app_user WHERE id = ?", [user["id"]]).fetchone()[0]


def test_device_language_is_stored_for_the_caller_only(db, client, tree):
    am2_before = locale_of(db, tree["am2"])
    device = Device(client, "am1", factories.PASSWORD)
    status, body = device.push(
        [
            device.mutation("user.locale", {"locale": "en"}),
            device.mutation("user.locale", {"locale": "en"}),
            device.mutation("user.locale", {"locale": "fr"}),
            device.mutation("user.locale", {"locale": None}),
        ]
    )
    assert status == 200
    results = body["results"]
    assert [r["status"] for r in results] == ["applied", "applied", "rejected", "rejected"]
    assert results[0]["result"] == {"locale": "en"}
    assert results[1]["result"] == {"locale": "en", "already": True}
    assert {r["result"]["code"] for r in results[2:]} == {"bad_args"}
    assert locale_of(db, tree["am1"]) == "en"
    assert locale_of(db, tree["am2"]) == am2_before
    audit = db.execute(
        "SELECT user_id, action FROM audit_log WHERE entity = 'app_user' AND entity_id = ?"
        " AND action = 'set_locale'",
        [tree["am1"]["id"]],
    ).fetchall()
    assert [tuple(a) for a in audit] == [(tree["am1"]["id"], "set_locale")]
    # back to Chinese, and a retry of the same mutation (lost answer) is not applied twice
    back = device.mutation("user.locale", {"locale": "zh_CN"})
    assert device.push([back])[1]["results"][0]["status"] == "applied"
    assert device.push([back])[1]["results"][0]["status"] == "duplicate"
    assert locale_of(db, tree["am1"]) == "zh_CN"
