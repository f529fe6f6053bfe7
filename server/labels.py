"""Display names of the trade's enumerations, translated. Identifiers stay English.

Each domain declares its own (server/<domain>/domain.py); validation messages live here.
"""

from flask_babel import lazy_gettext as _l


def _collect() -> dict:
    """Every domain's enumerations (server/<domain>/domain.py), each kind declared once."""
    from .domains import DOMAINS

    found = {}
    for domain in DOMAINS:
        for kind, values in domain.labels.items():
            if kind in found:
                raise ValueError(f"label kind {kind} declared twice (domain {domain.name})")
            found[kind] = values
    return found


LABELS = _collect()


def label(value, kind: str) -> str:
    """Template filter: the translated display name of an enumeration value."""
    if value is None:
        return ""
    found = LABELS.get(kind, {}).get(value)
    return str(found) if found is not None else str(value)


def choices(kind: str) -> list[tuple[str, str]]:
    """(value, display name) pairs for a select box."""
    return [(k, str(v)) for k, v in LABELS[kind].items()]


# Validation error codes returned by model validators, and what the user reads.
ERRORS = {
    "required": _l("This field is required."),
    "ends_before_start": _l("The last day must not be before the first day."),
    "overdraw": _l("Not enough points: the balance is lower than this."),
    "not_zero": _l("Enter a number of points other than zero."),
    "levels_order": _l("Each level needs a name and more points than the one before."),
    "duplicate": _l("This value is already used."),
    "invalid_number": _l("Enter a number."),
    "invalid_integer": _l("Enter a whole number."),
    "invalid_date": _l("Enter a date as YYYY-MM-DD."),
    "invalid_time": _l("Enter a time as HH:MM."),
    "out_of_range": _l("The value is out of range."),
    "invalid_latitude": _l("Latitude must be between -90 and 90."),
    "invalid_longitude": _l("Longitude must be between -180 and 180."),
    "invalid_choice": _l("Choose one of the offered values."),
    "unknown_kind": _l("Unknown organisation type."),
    "unknown_parent": _l("Unknown parent organisation."),
    "wrong_parent_kind": _l("This type of organisation cannot sit under that parent."),
    "unknown_role": _l("Unknown role."),
    "unknown_org": _l("Unknown organisation."),
    "out_of_scope": _l("Outside your part of the organisation."),
    "contractor_role": _l("Contractor staff can only be technicians or supervisors."),
    "too_short": _l("At least 8 characters."),
    "password_too_long": _l("At most 128 characters."),
    "password_too_common": _l("This password is too common: choose another."),
    "password_has_username": _l("The password must not contain the username."),
    "wrong_password": _l("This is not your current password."),
    "passwords_differ": _l("The two new passwords differ."),
    "password_unchanged": _l("Choose a password other than the current one."),
    "unknown_user": _l("Unknown user."),
    "not_account_manager": _l("This user is not an account manager."),
    "reason_required": _l("Give a reason for the override."),
    "own_account": _l("You cannot disable your own account."),
    "unknown_customer": _l("Unknown customer."),
    "not_contractor": _l("This organisation is not a contractor."),
    "duplicate_in_file": _l("This value appears on an earlier line of the file."),
    "unknown_column": _l("Unknown column."),
    "missing_column": _l("A required column is missing."),
    "unreadable_file": _l("The file is not a UTF-8 or GB18030 text (CSV) file."),
    "file_too_large": _l("The file is too large."),
    "empty_file": _l("The file has no rows."),
    "reading_needs_unit": _l("A reading needs a unit."),
    "min_above_max": _l("The maximum must not be below the minimum."),
    "choices_required": _l("List the choices, separated by commas."),
    "failing_not_in_choices": _l("Failing choices must be among the choices."),
    "no_items": _l("A checklist needs at least one item."),
    "answer_required": _l("Answer this item."),
    "remark_required": _l("A failed item needs a remark on what was found or done."),
    "photo_required": _l("This item needs a photo."),
    "sla_order": _l("Response ≤ arrival ≤ restore."),
    "assignment_required": _l("Choose a technician or a team or contractor."),
    "unknown_site": _l("Unknown site."),
    "invalid_datetime": _l("Enter a date and time."),
    "due_before_start": _l("The due date must not be before the start date."),
    "assignee_required": _l("Choose an account manager or an organisation."),
    "no_account_managers": _l("No active account manager works in this organisation."),
    "too_long": _l("The text is too long."),
    "no_account_manager": _l("This customer has no account manager to visit them."),
    "outcome_required": _l("Describe the outcome."),
    "period_too_long": _l("Choose a period of at most a year."),
    "weights_all_zero": _l("Give at least one indicator a weight."),
    "invalid_month": _l("Enter a month as YYYY-MM."),
    "month_in_future": _l("This month has not come yet: choose this month or an earlier one."),
    "policy_in_past": _l("Choose this month or a later one: scored months keep their weights."),
    "invalid_product_code": _l("Product codes are letters, digits, dots, dashes or underscores."),
    "high_below_warn": _l("The high level must not be below the warning level."),
    "already_closed": _l("This task has an outcome already."),
    "invalid_phone": _l("Enter a phone number: digits, spaces, + - ( ), an extension after #."),
    "invalid_email": _l("Enter an email address like name@example.com."),
    "not_closed": _l("This follow-up is open: only a closed one can be reopened."),
    "thresholds_order": _l("Each class's threshold must be above the next class's."),
    "class_policy_in_past": _l(
        "Choose today or a later day: customers keep their class until then."
    ),
}


def error_message(code: str) -> str:
    """Template filter: the translated message for a validation error code."""
    found = ERRORS.get(code)
    return str(found) if found is not None else code
