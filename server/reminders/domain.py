"""The reminders domain's declaration: reminders sent by Web Push."""

from ..domain import Domain

DOMAIN = Domain(
    "reminders",
    cli=("reminders.commands:reminders_cli",),
)
