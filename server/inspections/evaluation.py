"""Checklist evaluation: whether one answer passes its item, and whether an order's checklist
is complete. Pure functions of dicts, so the server and the device apply the same rule."""

import json

# Problems that block a submission; each is also an error code in server/labels.py ERRORS.
ANSWER_REQUIRED = "answer_required"
REMARK_REQUIRED = "remark_required"
PHOTO_REQUIRED = "photo_required"
INVALID_NUMBER = "invalid_number"
INVALID_CHOICE = "invalid_choice"


def _list(value) -> list:
    if isinstance(value, str):
        return json.loads(value or "[]")
    return list(value or [])


def _reading(item: dict, answer: dict) -> tuple[bool | None, str | None]:
    value = answer.get("value_number")
    if value is None and str(answer.get("value_text") or "").strip():
        value = answer["value_text"]
    if value is None:
        return None, ANSWER_REQUIRED
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None, INVALID_NUMBER
    low, high = item.get("min_value"), item.get("max_value")
    in_range = (low is None or number >= low) and (high is None or number <= high)
    return in_range, None


def _choice(item: dict, answer: dict) -> tuple[bool | None, str | None]:
    value = str(answer.get("value_text") or "").strip()
    if not value:
        return None, ANSWER_REQUIRED
    if value not in _list(item.get("choices")):
        return None, INVALID_CHOICE
    return value not in _list(item.get("failing_choices")), None


def _verdict(item: dict, answer: dict) -> tuple[bool | None, str | None]:
    """(passed, problem): passed is None when the answer says nothing usable."""
    kind = item["kind"]
    if kind == "pass_fail":
        given = answer.get("passed")
        return (None, ANSWER_REQUIRED) if given is None else (bool(given), None)
    if kind == "reading":
        return _reading(item, answer)
    if kind == "choice":
        return _choice(item, answer)
    if kind == "text":
        has_text = bool(str(answer.get("value_text") or "").strip())
        return (True, None) if has_text else (None, ANSWER_REQUIRED)
    if kind == "photo":
        return (True, None) if answer.get("photo_sha256") else (None, PHOTO_REQUIRED)
    raise ValueError(f"unknown checklist item kind {kind!r}")


def evaluate(item: dict, answer: dict | None) -> tuple[bool, list[str]]:
    """Whether an answer passes its item, and what is still wrong with it.

    The rule, per kind:
    - pass_fail: as the technician said (`passed`);
    - reading: a number (`value_number`, or `value_text` that parses); a value outside
      [min_value, max_value] fails at once, the bounds themselves pass, a missing bound is
      open;
    - choice: one of `choices`; fails when it is one of `failing_choices`;
    - text: passes when not empty;
    - photo: passes when it has a photo (`photo_sha256`).
    Problems (each blocks submission): no usable answer ("answer_required",
    "invalid_number", "invalid_choice", or "photo_required" for a photo item); a failed item
    without a remark saying what was found or done ("remark_required"); an item marked
    photo_required without a photo ("photo_required"). An item with no usable answer does
    not pass.
    """
    answer = answer or {}
    passed, problem = _verdict(item, answer)
    problems = [problem] if problem else []
    if passed is False and not str(answer.get("remark") or "").strip():
        problems.append(REMARK_REQUIRED)
    needs_photo = item.get("photo_required") and item["kind"] != "photo"
    if needs_photo and not answer.get("photo_sha256"):
        problems.append(PHOTO_REQUIRED)
    return bool(passed), problems


def latest_answers(answers: list[dict]) -> dict[str, dict]:
    """The latest answer to each item (answers are append-only): by version, then list order."""
    order = sorted(range(len(answers)), key=lambda n: (answers[n].get("version") or 0, n))
    return {answers[n]["item_id"]: answers[n] for n in order}


def order_complete(items: list[dict], answers: list[dict]) -> tuple[bool, list[dict]]:
    """Whether a checklist may be submitted: every item's latest answer has no problems.

    Returns (complete, missing) where missing lists {item_id, position, label, problems}
    for each item not answered or answered with problems, in checklist order.
    """
    latest = latest_answers([a for a in answers if not a.get("deleted_at")])
    missing = []
    for item in sorted(items, key=lambda i: i.get("position") or 0):
        answer = latest.get(item["id"])
        problems = evaluate(item, answer)[1] if answer else [ANSWER_REQUIRED]
        if problems:
            missing.append(
                {
                    "item_id": item["id"],
                    "position": item.get("position"),
                    "label": item.get("label"),
                    "problems": problems,
                }
            )
    return not missing, missing
