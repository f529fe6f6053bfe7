"""What the scores domain registers with sync: each user's own scorecards (read-only)."""

from sync.registry import EntitySpec


def own_cards(caller) -> tuple[str, list]:
    """A user receives their own cards only (teams' and contractors' stay on the server)."""
    return "scorecard.user_id = ?", [caller.id]


def card_keys(db, row: dict) -> set[str]:
    """A person's own card only: teams' and contractors' cards stay on the server."""
    return {f"u:{row['user_id']}"} if row.get("user_id") else set()


def register(registry) -> None:
    """Register the scorecard entity (pulled by devices; no mutations)."""
    registry.entity(EntitySpec("scorecard", "scorecard", own_cards, keys=card_keys))
