"""Phone numbers of customers' contacts are masked wherever they are listed (138****5678).

The operator's CRM plan asks for data masking: a number is shown whole only to someone who
gives a reason, and every reveal is audited (who, whose number, why). The field app keeps
the whole numbers of the account manager's own customers: they call them (docs/operations.md).
"""

from ..db import write_lock
from ..records import audit

REASON_MIN, REASON_MAX = 2, 200


def mask(phone: str | None) -> str:
    """138****5678: the first three and last four digits kept, the middle starred."""
    text = (phone or "").strip()
    digits = [i for i, c in enumerate(text) if c.isdigit()]
    if len(digits) < 7:
        keep = set(digits[-2:])
    else:
        keep = set(digits[:3] + digits[-4:])
    return "".join(c if (i in keep or not c.isdigit()) else "*" for i, c in enumerate(text))


def validate_reason(form) -> tuple[str, dict]:
    """The reason typed for a reveal; errors when it is missing or too long."""
    reason = str(form.get("reason", "")).strip()
    if len(reason) < REASON_MIN:
        return reason, {"reason": "required"}
    if len(reason) > REASON_MAX:
        return reason, {"reason": "too_long"}
    return reason, {}


def reveal(db, actor_id: str, entity: str, entity_id: str, phone: str, reason: str) -> str:
    """Audit that actor saw this record's whole number, and why; return the number."""
    with write_lock(db):
        audit(db, actor_id, "reveal_phone", entity, entity_id, None, {"reason": reason})
    return phone
