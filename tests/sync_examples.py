"""One valid argument set for every registered mutation (tests/test_sync_args.py proves each
is accepted; the held-scope walk and the hostile tests vary them)."""

UUID = "01a20117-4034-74e6-9d09-a968d941fbe6"


SHA = "0c077eb98e912905b21b8623d337c82392b1444629b5eb34e2c0741571a2379c"


SIGN = {"sha256": SHA, "mime": "image/png", "size": 100}


STEP = {"id": UUID, "at": "2026-11-20T02:00:00Z", "note": "ok"}


WHERE = {"lat": 30.2, "lon": 120.1, "accuracy": 8.0}


REPORT = {"diagnosis": "d", "cause": "c", "fix": "f", "parts_used": [{"name": "模块", "qty": 1}]}


EXAMPLES = {
    "visit.plan": {
        "id": UUID,
        "customer_id": UUID,
        "planned_date": "2026-11-28",
        "purpose": "care",
    },
    "visit.check_in": {
        "id": UUID,
        "customer_id": UUID,
        "purpose": "routine",
        **WHERE,
        "at": "2026-11-20T02:00:00Z",
    },
    "visit.update": {"id": UUID, "fields": {"notes": "n"}},
    "visit.check_out": {"id": UUID, **WHERE, "at": "2026-11-20T02:00:00Z"},
    "visit.cancel": {"id": UUID},
    "visit.resubmit": {"id": UUID, "at": "2026-11-20T02:00:00Z"},
    "visit.add_photo": {
        "id": UUID,
        "visit_id": UUID,
        **SIGN,
        "caption": "c",
        "taken_at": "2026-11-20T02:00:00Z",
    },
    "visit.sign": {"visit_id": UUID, **SIGN},
    "visit.add_follow_up": {"id": UUID, "visit_id": UUID, "action": "a", "due_date": "2026-12-01"},
    "work_order.accept": STEP,
    "work_order.travel": {**STEP, "lat": 30.2, "lon": 120.1},
    "work_order.arrive": {**STEP, **WHERE},
    "work_order.update": {"id": UUID, "fields": {"fix": "f"}},
    "work_order.resolve": {**STEP, **REPORT},
    "work_order.submit": STEP,
    "work_order.add_photo": {
        "id": UUID,
        "work_order_id": UUID,
        "stage": "after",
        **SIGN,
        "caption": "c",
        "taken_at": "2026-11-20T02:00:00Z",
    },
    "work_order.report_exception": {
        **STEP,
        "title": "t",
        "description": "d",
        **WHERE,
        "site_id": UUID,
    },
    "inspection.answer": {
        "id": UUID,
        "work_order_id": UUID,
        "item_id": UUID,
        "value_text": "v",
        "value_number": 1.5,
        "passed": True,
        "remark": "r",
        "photo_sha256": SHA,
        "at": "2026-11-20T02:00:00Z",
    },
    "inspection.open_rectification": {
        "id": UUID,
        "work_order_id": UUID,
        "item_id": UUID,
        "title": "t",
        "description": "d",
        "severity": "critical",
    },
    "task.complete": {"id": UUID, "at": "2026-11-20T02:00:00Z", "note": "n"},
    "appointment.record": {
        "id": UUID,
        "customer_id": UUID,
        "wanted_at": "2026-06-02T07:00:00+08:00",
        "need": "n",
        "contact_name": "c",
        "contact_phone": "1",
    },
    "care.done": {
        "id": UUID,
        "key": f"birthday:{UUID}:2026-06-03",
        "how": "gift",
        "note": "n",
        "at": "2026-06-01T02:00:00Z",
    },
    "retention.outcome": {
        "id": UUID,
        "outcome": "retained",
        "reason": "r",
        "at": "2026-06-01T02:00:00Z",
    },
    "user.locale": {"locale": "en"},
    "contact.add": {
        "id": UUID,
        "customer_id": UUID,
        "name": "n",
        "title": "t",
        "phone": "13800000000",
        "email": "a@example.com",
        "birthday": "1980-01-01",
        "key_dates": [{"label": "l", "date": "2020-01-01"}],
        "notes": "n",
    },
    "contact.update": {"id": UUID, "fields": {"phone": "13800000000"}},
    "contact.remove": {"id": UUID},
    "customer.update": {"id": UUID, "fields": {"address": "a"}},
    "visit.log_contact": {
        "id": UUID,
        "customer_id": UUID,
        "channel": "phone",
        "at": "2026-06-01T02:00:00Z",
        "notes": "n",
        "contact_id": UUID,
    },
    "follow_up.done": {"id": UUID, "at": "2026-11-20T02:00:00Z", "note": "n"},
    "complaint.add": {
        "id": UUID,
        "customer_id": UUID,
        "channel": "visit",
        "category": "billing",
        "severity": "high",
        "words": "w",
        "visit_id": UUID,
        "at": "2026-11-20T02:00:00Z",
    },
    "complaint.update": {"id": UUID, "fields": {"words": "w", "channel": "app"}},
    "complaint.give_feedback": {
        "id": UUID,
        "how": "phone",
        "reaction": "satisfied",
        "note": "n",
        "at": "2026-11-20T02:00:00Z",
    },
}
