"""The reveal-a-phone answer shared by every page that shows a masked number."""

from flask import request

from ..db import get_db
from ..web import caller, form_status, render
from . import phones


def reveal_answer(entity: str, entity_id: str, number: str | None, back: str):
    """Check the reason typed, audit the reveal and show the whole number (or the error)."""
    reason, errors = phones.validate_reason(request.form)
    revealed = None
    if not errors:
        revealed = phones.reveal(get_db(), caller().id, entity, entity_id, number, reason)
    return render(
        "_phone_page.html",
        "_phone.html",
        status=form_status(errors),
        phone_id=entity_id,
        phone=number,
        revealed=revealed,
        reveal_url=request.path,
        reason_typed=reason,
        reason_error=errors.get("reason"),
        back=back,
    )
