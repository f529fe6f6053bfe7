"""The jobs domain's declaration: the scheduler of every periodic job."""

from ..domain import Domain

DOMAIN = Domain(
    "jobs",
    cli=("jobs.commands:jobs_cli",),
)
