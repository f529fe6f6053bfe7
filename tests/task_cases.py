"""Hand-computed task-progress cases, shared by the server rule's tests (test_tasks.py) and
the device port's (test_browser_tasks.py evaluates pwa/tasks.js on the same data).

Window: start 2026-05-01, due 2026-05-20 (Beijing) = [2026-04-30T16:00Z, 2026-05-20T16:00Z).
"""

import json

AM, OTHER = "am-1", "am-2"
START, END = "2026-04-30T16:00:00.000Z", "2026-05-20T16:00:00.000Z"


def _task(kind, **extra):
    task = dict(
        id=f"task-{kind}",
        kind=kind,
        assignee_id=AM,
        status="open",
        start_date="2026-05-01",
        due_date="2026-05-20",
        window_start_at=START,
        window_end_at=END,
        target_customer_ids="[]",
        purpose=None,
        keyword="",
        target_count=None,
        done_at=None,
    )
    task.update(extra)
    return task


def _visit(vid, customer, status, server=None, device=None, am=AM, purpose="routine", notes=""):
    return dict(
        id=vid,
        customer_id=customer,
        account_manager_id=am,
        status=status,
        check_in_at=server,
        check_in_device_at=device,
        purpose=purpose,
        notes=notes,
        deleted_at=None,
    )


COVERAGE = _task(
    "class_coverage", customer_class="A", target_customer_ids=json.dumps(["A1", "A2", "A3", "A4"])
)
COVERAGE_VISITS = [
    _visit("v01", "A1", "completed", "2026-05-03T02:00:00.000Z", "2026-05-03T01:59:00Z"),  # yes
    _visit("v02", "A2", "returned", "2026-05-04T02:00:00.000Z"),  # returned: not until resubmit
    _visit("v03", "A2", "cancelled", "2026-05-05T02:00:00.000Z"),  # cancelled
    _visit("v04", "B1", "completed", "2026-05-06T02:00:00.000Z"),  # class B: not on the list
    _visit("v05", "A3", "completed", "2026-05-21T01:00:00.000Z"),  # 21 May 09:00 Beijing: late
    # made offline 20 May 23:30 Beijing, synced two days later: the device time counts
    _visit("v06", "A3", "approved", "2026-05-22T00:00:00.000Z", "2026-05-20T15:30:00.000Z"),
    # 30 Apr 23:59:59 Beijing on the device (before the start), received just after midnight
    _visit("v07", "A2", "completed", "2026-04-30T16:00:05.000Z", "2026-04-30T15:59:59Z"),
    _visit("v08", "A1", "completed", "2026-05-07T02:00:00.000Z", am=OTHER),  # someone else's
    _visit("v09", "A2", "in_progress", "2026-05-08T02:00:00.000Z"),  # not finished
    _visit("v10", "A1", "approved", "2026-05-09T02:00:00.000Z"),  # A1 again: one customer
    # a device clock running fast (later than the server's receipt): the server's time counts
    _visit("v11", "A4", "completed", "2026-05-10T02:00:00.000Z", "2026-05-25T02:00:00.000Z"),
    _visit("v12", "A2", "planned"),  # never checked in
]
COVERAGE_EXPECTED = dict(
    done=3,
    target=4,
    percent=75,
    complete=False,
    counted=["v01", "v06", "v10", "v11"],
    missing=["A2"],
)

PROMOTION = _task("promotion", purpose="product_promotion", keyword="5G", target_count=3)
P = "product_promotion"
PROMOTION_VISITS = [
    _visit("p1", "C1", "completed", "2026-05-02T02:00:00.000Z", purpose=P, notes="介绍5g专线"),
    _visit("p2", "C2", "completed", "2026-05-02T03:00:00.000Z", purpose=P, notes="宽带续约"),
    _visit("p3", "C3", "approved", "2026-05-02T04:00:00.000Z", notes="顺便提到5G"),  # routine
    _visit("p4", "C1", "approved", "2026-05-03T02:00:00.000Z", purpose=P, notes="5G 套餐"),
    _visit("p5", "C4", "returned", "2026-05-03T03:00:00.000Z", purpose=P, notes="5G"),
    _visit("p6", "C5", "completed", "2026-05-04T02:00:00.000Z", purpose=P, notes="5G套餐"),
    _visit("p7", "C6", "completed", "2026-05-30T02:00:00.000Z", purpose=P, notes="5G"),  # late
]
PROMOTION_EXPECTED = dict(
    done=2, target=3, percent=66, complete=False, counted=["p1", "p4", "p6"], missing=[]
)

FREE = _task("free_text")
FREE_DONE = _task("free_text", done_at="2026-05-02T02:00:00.000Z")

CASES = {
    "coverage": (COVERAGE, COVERAGE_VISITS, COVERAGE_EXPECTED),
    "promotion": (PROMOTION, PROMOTION_VISITS, PROMOTION_EXPECTED),
    "free_open": (
        FREE,
        COVERAGE_VISITS,
        dict(done=0, target=1, percent=0, complete=False, counted=[], missing=[]),
    ),
    "free_done": (
        FREE_DONE,
        [],
        dict(done=1, target=1, percent=100, complete=True, counted=[], missing=[]),
    ),
}
