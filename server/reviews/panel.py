"""A record's review panel on its own page (templates/reviews/_record_panel.html): the review
history and spot checks of a visit or work order. Each page that includes the panel passes
this in its context, so the template runs no queries of its own."""

from . import history, spot_checks


def record_panel(db, entity: str, record_id: str) -> dict:
    """The panel's context: `review_history` (oldest step first) and `spot_checks` (newest
    first) of the record."""
    return {
        "review_history": history.history(db, entity, record_id),
        "spot_checks": spot_checks.for_record(db, entity, record_id),
    }
