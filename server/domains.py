"""The one list of domains, read by app creation, the CLI, the sync registry, scope keys
and labels.

Order matters: blueprints register and replicated entities are pulled in this order
(parents before children: customers before visits, sites before work orders).
To add a domain, see docs/architecture.md.
"""

from .admin.domain import DOMAIN as admin
from .appointments.domain import DOMAIN as appointments
from .auth.domain import DOMAIN as auth
from .billing.domain import DOMAIN as billing
from .care.domain import DOMAIN as care
from .complaints.domain import DOMAIN as complaints
from .customers.domain import DOMAIN as customers
from .home.domain import DOMAIN as home
from .imports.domain import DOMAIN as imports
from .inspections.domain import DOMAIN as inspections
from .jobs.domain import DOMAIN as jobs
from .points.domain import DOMAIN as points
from .push.domain import DOMAIN as push
from .pwa.domain import DOMAIN as pwa
from .reminders.domain import DOMAIN as reminders
from .reports.domain import DOMAIN as reports
from .retention.domain import DOMAIN as retention
from .reviews.domain import DOMAIN as reviews
from .scores.domain import DOMAIN as scores
from .sites.domain import DOMAIN as sites
from .statistics.domain import DOMAIN as statistics
from .sync_api.domain import DOMAIN as sync_api
from .sync_health.domain import DOMAIN as sync_health
from .system.domain import DOMAIN as system
from .tasks.domain import DOMAIN as tasks
from .visits.domain import DOMAIN as visits
from .work_orders.domain import DOMAIN as work_orders

DOMAINS = [
    auth,
    home,
    admin,
    customers,
    sites,
    imports,
    sync_api,
    pwa,
    visits,
    inspections,
    work_orders,
    reviews,
    statistics,
    sync_health,
    tasks,
    appointments,
    complaints,
    scores,
    care,
    points,
    push,
    billing,
    retention,
    reports,
    reminders,
    jobs,
    system,
]
