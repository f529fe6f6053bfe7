"""What the complaint pages' forms say, read and checked (server/complaints/views.py)."""

from ..fields import choice, scoped_id, text
from ..ids import now_utc
from ..scope import Caller
from . import model, states
from .policy import SEVERITIES, categories

ERROR_FIELDS = {
    "illegal_transition": "action",
    "reason_required": "reason",
    "handling_required": "handling",
    "feedback_how_required": "feedback_how",
    "feedback_reaction_required": "feedback_reaction",
}


def categories_now(db, current: str | None = None) -> list[str]:
    """The categories of the policy version in force, and a complaint's own if it has left."""
    found = categories(db, now_utc())
    return found + [current] if current and current not in found else found


def validate_new(db, caller: Caller, data, owners: list[dict]) -> tuple:
    """(customer, clean, errors) of the new-complaint form: a customer in scope, channel,
    category, severity, the customer's words, an optional owner among `owners` and an
    optional call-centre ticket id (unique)."""
    errors: dict = {}
    clean = {key: text(data, key) for key in ("channel", "category", "severity", "words")}
    customer_id = scoped_id(db, caller, data, errors, "customer", required=True)
    choice(clean, errors, "channel", model.CHANNELS)
    choice(clean, errors, "category", categories_now(db))
    choice(clean, errors, "severity", SEVERITIES)
    if not clean["words"]:
        errors["words"] = "required"
    elif len(clean["words"]) > model.MAX_WORDS:
        errors["words"] = "too_long"
    owner_id = text(data, "owner_id")
    if owner_id and owner_id not in {o["id"] for o in owners}:
        errors["owner_id"] = "invalid_choice"
    clean["owner_id"] = owner_id or None
    ticket = text(data, "external_ticket_id")
    if len(ticket) > model.MAX_TICKET:
        errors["external_ticket_id"] = "too_long"
    elif (
        ticket
        and db.execute("SELECT 1 FROM complaint WHERE external_ticket_id = ?", [ticket]).fetchone()
    ):
        errors["external_ticket_id"] = "duplicate"
    clean["external_ticket_id"] = ticket or None
    customer = None
    if customer_id and not errors.get("customer_id"):
        customer = db.execute("SELECT * FROM customer WHERE id = ?", [customer_id]).fetchone()
        customer = dict(customer) if customer else None
    return customer, clean, errors


def read_step(db, data, complaint: dict) -> tuple[str, dict, dict]:
    """(action, its extra fields, errors) of a state button's form."""
    action, errors = text(data, "action"), {}
    if action not in states.ACTIONS:
        return action, {}, {"action": "invalid_choice"}
    extra = {"reason": text(data, "reason")[: model.MAX_REASON]}
    if action == "classify":
        extra["category"] = text(data, "category") or complaint["category"]
        if extra["category"] not in categories_now(db, complaint["category"]):
            errors["category"] = "invalid_choice"
    if action == "handle":
        extra["handling"] = text(data, "handling")[: model.MAX_WORDS]
    if action == "give_feedback":
        for key in ("feedback_how", "feedback_reaction"):
            extra[key] = text(data, key)
        extra["feedback_note"] = text(data, "feedback_note")[: model.MAX_REASON]
    return action, extra, errors


def step_error(code: str) -> dict:
    """The form errors of a refused step (model.transition's ValueError code)."""
    field = ERROR_FIELDS.get(code, "action")
    return {field: "required" if code.endswith("_required") else "invalid_choice"}
