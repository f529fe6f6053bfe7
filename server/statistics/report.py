"""The statistics page's four charts: their rows (table and CSV alike) and their SVG."""

from flask_babel import gettext as _

from .. import charts
from ..labels import label
from . import queries

CHARTS = ("visits", "sla", "faults", "inspections")
COLUMNS = {
    "visits": ("week", "visits"),
    "sla": (
        "sla_grade",
        "arrival_met",
        "arrival_decided",
        "arrival_rate",
        "restore_met",
        "restore_decided",
        "restore_rate",
        "due_met",
        "due_decided",
        "due_rate",
    ),
    "faults": ("cause", "orders"),
    "inspections": ("item", "failures"),
}


def data(db, caller, filters: dict, chart: str, now: str) -> list[dict]:
    """One chart's rows, exactly as the table shows them and the CSV holds them."""
    if chart == "visits":
        return queries.visits_per_week(db, caller, filters)
    if chart == "sla":
        return queries.sla_by_grade(db, caller, filters, now)
    if chart == "faults":
        return queries.faults_by_cause(db, caller, filters)
    return queries.inspection_failures(db, caller, filters)


def _svg(chart: str, found: list[dict], title: str):
    if chart == "visits":
        names = [_("Week of %(day)s", day=r["week"]) for r in found]
        return charts.bar_chart(title, names, [(_("Visits"), [r["visits"] for r in found])])
    if chart == "sla":
        names = [label(r["sla_grade"], "sla_grade") for r in found]
        series = [
            (_("Arrival on time"), [r["arrival_rate"] for r in found]),
            (_("Restore on time"), [r["restore_rate"] for r in found]),
            (_("Other types done by the due time"), [r["due_rate"] for r in found]),
        ]
        return charts.bar_chart(title, names, series, unit="%", ceiling=100)
    key, value, name = (
        ("cause", "orders", _("Orders"))
        if chart == "faults"
        else ("item", "failures", _("Failures"))
    )
    return charts.bar_chart(title, [r[key] for r in found], [(name, [r[value] for r in found])])


def titles() -> dict:
    """Chart titles in the user's language."""
    return {
        "visits": _("Visits per week"),
        "sla": _("SLA on-time rate by grade"),
        "faults": _("Faults by cause"),
        "inspections": _("Inspection failures by item"),
    }


def build(db, caller, filters: dict, now: str) -> list[dict]:
    """Every chart: key, title, rows and SVG."""
    out = []
    for chart, title in titles().items():
        found = data(db, caller, filters, chart, now)
        out.append({"key": chart, "title": title, "rows": found, "svg": _svg(chart, found, title)})
    return out
