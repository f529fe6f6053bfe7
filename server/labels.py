"""Display names of the trade's enumerations, translated. Identifiers stay English."""

from flask_babel import lazy_gettext as _l

LABELS = {
    "role": {
        "account_manager": _l("Account manager"),
        "technician": _l("Technician"),
        "supervisor": _l("Supervisor"),
        "admin": _l("Administrator"),
    },
    "org_kind": {
        "province": _l("Province company"),
        "city": _l("City branch"),
        "district": _l("District unit"),
        "team": _l("Team"),
        "contractor": _l("Contractor"),
    },
    "sla_grade": {
        "diamond": _l("Diamond"),
        "gold": _l("Gold"),
        "silver": _l("Silver"),
        "bronze": _l("Bronze"),
        "standard": _l("Standard"),
    },
    "customer_class": {"A": _l("Class A"), "B": _l("Class B"), "C": _l("Class C")},
    "site_type": {
        "base_station": _l("Base station"),
        "customer_premises": _l("Customer premises"),
        "line_endpoint": _l("Line endpoint"),
    },
    "industry": {
        "government": _l("Government"),
        "party": _l("Party organ"),
        "military": _l("Military"),
        "media": _l("Media"),
        "telecom": _l("Telecom"),
        "post": _l("Post"),
        "bank": _l("Bank"),
        "power": _l("Power"),
        "water": _l("Water"),
        "gas": _l("Gas"),
        "highway": _l("Highway"),
        "airport": _l("Airport"),
        "railway": _l("Railway"),
        "securities": _l("Securities"),
        "insurance": _l("Insurance"),
        "manufacturing": _l("Manufacturing"),
        "retail": _l("Retail"),
        "education": _l("Education"),
        "healthcare": _l("Healthcare"),
        "hospitality": _l("Hospitality"),
        "logistics": _l("Logistics"),
        "technology": _l("Technology"),
        "real_estate": _l("Real estate"),
        "other": _l("Other"),
    },
    "visit_status": {
        "planned": _l("Planned"),
        "in_progress": _l("In progress"),
        "completed": _l("Completed"),
        "approved": _l("Approved"),
        "returned": _l("Returned"),
        "cancelled": _l("Cancelled"),
    },
    "visit_purpose": {
        "routine": _l("Routine visit"),
        "complaint_follow_up": _l("Complaint follow-up"),
        "product_promotion": _l("Product promotion"),
        "care": _l("Customer care"),
        "retention": _l("Retention"),
        "fault_follow_up": _l("Fault follow-up"),
        "contract_renewal": _l("Contract renewal"),
    },
    "gps_flag": {
        "ok": _l("GPS OK"),
        "far": _l("Far from customer"),
        "low_accuracy": _l("Low accuracy"),
        "no_fix": _l("No GPS fix"),
        "no_customer_location": _l("Customer location not recorded"),
    },
    "conflict_kind": {"field": _l("Conflicting edit"), "late_edit": _l("Late edit")},
    "conflict_reason": {
        "approved": _l("Sent after approval"),
        "cancelled": _l("Sent after cancellation"),
        "reassigned": _l("Customer reassigned"),
        "stale_base": _l("Edited an older version"),
    },
    "checklist_kind": {
        "pass_fail": _l("Pass / fail"),
        "reading": _l("Reading"),
        "choice": _l("Choice"),
        "text": _l("Text"),
        "photo": _l("Photo"),
    },
    "wo_type": {
        "fault_repair": _l("Fault repair"),
        "on_demand": _l("On-demand job"),
        "inspection": _l("Inspection"),
        "accompanying": _l("Accompanying work"),
        "rectification": _l("Rectification"),
        "exception_report": _l("Exception report"),
    },
    "wo_status": {
        "dispatched": _l("Dispatched"),
        "accepted": _l("Accepted"),
        "en_route": _l("En route"),
        "on_site": _l("On site"),
        "resolved": _l("Resolved"),
        "submitted": _l("Submitted"),
        "approved": _l("Approved"),
        "returned": _l("Returned"),
        "closed": _l("Closed"),
        "cancelled": _l("Cancelled"),
    },
    "sla_state": {
        "met": _l("Met"),
        "breached": _l("Breached"),
        "running": _l("Running"),
        "n/a": _l("Not applicable"),
    },
    "sla_clock": {
        "response_due_at": _l("Response"),
        "arrival_due_at": _l("Arrival"),
        "restore_due_at": _l("Restore"),
    },
    "time_flag": {
        "future": _l("Time in the future"),
        "before_dispatch": _l("Time before dispatch"),
        "too_fast": _l("Faster than travel allows"),
    },
    "photo_stage": {
        "before": _l("Before"),
        "after": _l("After"),
        "evidence": _l("Evidence"),
    },
    "check_in_flag": {
        "ok": _l("GPS OK"),
        "far": _l("Far from site"),
        "low_accuracy": _l("Low accuracy"),
        "no_fix": _l("No GPS fix"),
        "no_site_location": _l("Site location not recorded"),
    },
    "wo_conflict_reason": {
        "reassigned": _l("Sent after the order was reassigned"),
        "approved": _l("Sent after approval"),
        "closed": _l("Sent after closing"),
        "cancelled": _l("Sent after cancellation"),
        "stale_base": _l("Edited an older version"),
    },
    "task_kind": {
        "class_coverage": _l("Visit every customer of a class"),
        "promotion": _l("Present to N customers"),
        "free_text": _l("Other task"),
    },
    "task_state": {
        "open": _l("Open"),
        "done": _l("Done"),
        "overdue": _l("Overdue"),
        "cancelled": _l("Cancelled"),
    },
    "appointment_status": {
        "open": _l("Open"),
        "planned": _l("Planned"),
        "done": _l("Done"),
        "cancelled": _l("Cancelled"),
    },
    "review_kind": {
        "visit": _l("Visit"),
        "fault_repair": _l("Fault repair"),
        "on_demand": _l("On-demand job"),
        "inspection": _l("Inspection"),
        "accompanying": _l("Accompanying work"),
        "rectification": _l("Rectification"),
        "exception_report": _l("Exception report"),
    },
    "review_action": {
        "approve": _l("Approved"),
        "return": _l("Returned for rework"),
        "resubmit": _l("Resubmitted"),
    },
    "spot_check_method": {
        "on_site": _l("On-site check"),
        "phone": _l("Phone check"),
        "video": _l("Video check"),
        "satisfaction_call": _l("Satisfaction call"),
    },
    "spot_check_result": {"ok": _l("OK"), "problem": _l("Problem found")},
    "conflict_resolution": {
        "accepted_device": _l("Device's value accepted"),
        "kept_server": _l("Server's value kept"),
        "applied": _l("Applied"),
        "seen": _l("Marked as seen"),
        "dismissed": _l("Dismissed"),
    },
}


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
    "duplicate": _l("This value is already used."),
    "invalid_number": _l("Enter a number."),
    "invalid_integer": _l("Enter a whole number."),
    "invalid_date": _l("Enter a date as YYYY-MM-DD."),
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
}


def error_message(code: str) -> str:
    """Template filter: the translated message for a validation error code."""
    found = ERRORS.get(code)
    return str(found) if found is not None else code
