"""Hand-computed cases for the device's previews of mutations (pwa/local.js MUTATORS, replayed
by `replay`) and the server's handlers of the same names: tests/test_mutator_parity.py pushes
each case's mutations to the server and replays them in Chromium on the rows the device had
pulled, and both must give the expected fields.

A case is (username, [(mutation name, args)], (entity, row id), {field: expected value}).
`ids` names the world's rows (customer near 30.2741,120.1551; a site at 30.28,120.16 with a
fault-repair order assigned to tech1) and fresh ids for the rows the mutations make.
"""

AT = "2026-11-20T02:00:00Z"
LATER = "2026-11-20T03:00:00Z"
NEAR_CUSTOMER = {"lat": 30.2745, "lon": 120.1555, "accuracy": 12.0}  # ~55 m
FAR_BLURRY = {"lat": 30.30, "lon": 120.20, "accuracy": 250.0}  # ~5 km, accuracy 250 m
NEAR_SITE = {"lat": 30.2802, "lon": 120.1601, "accuracy": 10.0}  # ~25 m


def cases(ids: dict) -> dict:
    customer, order = ids["customer"], ids["order"]
    v1, v2, v3, v4, c1 = ids["v1"], ids["v2"], ids["v3"], ids["v4"], ids["c1"]
    check_in = {"customer_id": customer, "purpose": "routine", "at": AT}
    return {
        "checked in near the customer, then out": (
            "am1",
            [
                ("visit.check_in", {"id": v1, **check_in, **NEAR_CUSTOMER}),
                ("visit.check_out", {"id": v1, **NEAR_CUSTOMER, "at": LATER}),
            ],
            ("visit", v1),
            {
                "status": "completed",
                "check_in_flag": "ok",
                "check_in_device_at": AT,
                "customer_id": customer,
            },
        ),
        "checked in far away with a blurry fix": (
            "am1",
            [("visit.check_in", {"id": v2, **check_in, **FAR_BLURRY})],
            ("visit", v2),
            {"status": "in_progress", "check_in_flag": "far,low_accuracy"},
        ),
        "planned, then cancelled": (
            "am1",
            [
                (
                    "visit.plan",
                    {
                        "id": v3,
                        "customer_id": customer,
                        "planned_date": "2026-11-25",
                        "purpose": "care",
                    },
                ),
                ("visit.cancel", {"id": v3}),
            ],
            ("visit", v3),
            {"status": "cancelled", "purpose": "care", "planned_date": "2026-11-25"},
        ),
        "a call logged": (
            "am1",
            [
                (
                    "visit.log_contact",
                    {
                        "id": v4,
                        "customer_id": customer,
                        "channel": "phone",
                        "at": AT,
                        "notes": "续约意向",
                    },
                )
            ],
            ("visit", v4),
            {"status": "completed", "channel": "phone", "check_out_device_at": AT},
        ),
        "a contact added, then edited": (
            "am1",
            [
                ("contact.add", {"id": c1, "customer_id": customer, "name": "王经理"}),
                ("contact.update", {"id": c1, "fields": {"phone": "13800000000"}}),
            ],
            ("contact", c1),
            {"name": "王经理", "phone": "13800000000", "customer_id": customer},
        ),
        "an order accepted, travelled to, arrived at near the site, resolved": (
            "tech1",
            [
                ("work_order.accept", {"id": order, "at": AT}),
                ("work_order.travel", {"id": order, "at": AT}),
                ("work_order.arrive", {"id": order, "at": AT, **NEAR_SITE}),
                ("work_order.resolve", {"id": order, "at": LATER, "diagnosis": "光模块故障"}),
            ],
            ("work_order", order),
            {"status": "resolved", "check_in_flag": "ok", "diagnosis": "光模块故障"},
        ),
    }
