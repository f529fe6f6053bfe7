"""Hand-computed checklist-evaluation cases, shared by the server rule
(server/inspections/evaluation.py evaluate) and its device port (pwa/local.js evaluate):
tests/test_checklist_parity.py runs both on the same data. Each case is
(item, answer, expected (passed, problems))."""

PASS_FAIL = {"kind": "pass_fail", "photo_required": 0}
READING = {"kind": "reading", "min_value": 10.0, "max_value": 20.0, "photo_required": 0}
OPEN_READING = {"kind": "reading", "min_value": None, "max_value": 20.0, "photo_required": 0}
CHOICE = {
    "kind": "choice",
    "choices": '["正常", "异常", "缺失"]',
    "failing_choices": '["异常", "缺失"]',
    "photo_required": 0,
}
TEXT = {"kind": "text", "photo_required": 0}
PHOTO = {"kind": "photo", "photo_required": 1}
WITH_PHOTO = {"kind": "pass_fail", "photo_required": 1}
SHA = "ab" * 32

CASES = {
    "pass_fail unanswered": (PASS_FAIL, {}, (False, ["answer_required"])),
    "pass_fail passed": (PASS_FAIL, {"passed": 1}, (True, [])),
    "pass_fail failed without remark": (PASS_FAIL, {"passed": 0}, (False, ["remark_required"])),
    "pass_fail failed, blank remark": (
        PASS_FAIL,
        {"passed": 0, "remark": "  "},
        (False, ["remark_required"]),
    ),
    "pass_fail failed with remark": (PASS_FAIL, {"passed": 0, "remark": "已更换"}, (False, [])),
    "reading in range": (READING, {"value_number": 15}, (True, [])),
    "reading on the bounds": (READING, {"value_number": 10}, (True, [])),
    "reading at the top bound": (READING, {"value_number": 20}, (True, [])),
    "reading below": (READING, {"value_number": 9.5, "remark": "偏低"}, (False, [])),
    "reading above, no remark": (READING, {"value_number": 21}, (False, ["remark_required"])),
    "reading as text": (READING, {"value_text": " 12.5 "}, (True, [])),
    "reading not a number": (READING, {"value_text": "abc"}, (False, ["invalid_number"])),
    "reading missing": (READING, {"value_text": "  "}, (False, ["answer_required"])),
    "reading open bound": (OPEN_READING, {"value_number": -40}, (True, [])),
    "choice passing": (CHOICE, {"value_text": "正常"}, (True, [])),
    "choice failing with remark": (
        CHOICE,
        {"value_text": "异常", "remark": "已报修"},
        (False, []),
    ),
    "choice failing, no remark": (CHOICE, {"value_text": "缺失"}, (False, ["remark_required"])),
    "choice not offered": (CHOICE, {"value_text": "其他"}, (False, ["invalid_choice"])),
    "choice empty": (CHOICE, {}, (False, ["answer_required"])),
    "text given": (TEXT, {"value_text": "机房整洁"}, (True, [])),
    "text blank": (TEXT, {"value_text": "   "}, (False, ["answer_required"])),
    "photo item with photo": (PHOTO, {"photo_sha256": SHA}, (True, [])),
    "photo item without photo": (PHOTO, {}, (False, ["photo_required"])),
    "photo required, missing": (WITH_PHOTO, {"passed": 1}, (True, ["photo_required"])),
    "photo required, given": (WITH_PHOTO, {"passed": 1, "photo_sha256": SHA}, (True, [])),
    "photo required, failed, nothing": (
        WITH_PHOTO,
        {"passed": 0},
        (False, ["remark_required", "photo_required"]),
    ),
    "unanswered and photo required": (
        WITH_PHOTO,
        {},
        (False, ["answer_required", "photo_required"]),
    ),
}


def _item(item_id, position, **extra):
    return {
        "id": item_id,
        "template_id": "tpl",
        "position": position,
        "label": item_id,
        **PASS_FAIL,
        **extra,
    }


def _answer(item_id, version, **extra):
    return {
        "id": f"{item_id}-{version}",
        "work_order_id": "wo",
        "item_id": item_id,
        "version": version,
        **extra,
    }


ITEMS = [_item("b", 2), _item("a", 1), _item("c", 3, kind="text")]

# Whether an order's checklist may be submitted (order_complete / pwa/checklist.js
# checklistGaps): (items, answers, the ids of the items still open, in checklist order).
ORDER_CASES = {
    "all answered": (
        ITEMS,
        [_answer("a", 1, passed=1), _answer("b", 2, passed=1), _answer("c", 3, value_text="ok")],
        [],
    ),
    "nothing answered, in position order": (ITEMS, [], ["a", "b", "c"]),
    "a later answer fixes a failed one": (
        ITEMS,
        [
            _answer("a", 1, passed=0),
            _answer("b", 2, passed=1),
            _answer("c", 3, value_text="ok"),
            _answer("a", 4, passed=1),
        ],
        [],
    ),
    "a later answer spoils a good one": (
        ITEMS,
        [
            _answer("a", 5, passed=0),
            _answer("b", 2, passed=1),
            _answer("c", 3, value_text="ok"),
            _answer("a", 1, passed=1),
        ],
        ["a"],
    ),
    "a deleted answer does not count": (
        ITEMS,
        [
            _answer("a", 1, passed=1),
            _answer("b", 2, passed=1, deleted_at="2026-05-01T00:00:00.000Z"),
            _answer("c", 3, value_text="  "),
        ],
        ["b", "c"],
    ),
}
