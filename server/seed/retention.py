"""Demo billing, churn warnings, retention tasks, points and birthdays in the coming week.

Billing: four months (2026-07 … 2026-10) of figures for every demo customer, written as CSV
text and imported month by month through the billing importer (server/billing/importer.py,
what `flask billing import` and the upload page run), so each import also earns the month's
points (server/points/ledger.py earn_month). Handset counts are the customers' own, so no
class changes. Then the churn rules run (server/retention/run.py) as the importer's
command would: for 2026-09 as of RULES_AS_OF[0] (only contract ends can fire: the drop
rules need three months before) and, after the October import, for 2026-10 as of
RULES_AS_OF[1]. Those days are fixed (never the clock) so the same seed gives the same
warnings and tasks.

Stories, per account manager (sorted by username), on customers picked with the seed:
- two customers at risk in October: one single-product (one rule fires → score 1.5, high),
  one bundled (one rule → medium, or two rules → high). Rules cycle through ARPU drop,
  usage drop and contract end (ending 35–60 days after RULES_AS_OF[1]);
- near misses that stay quiet (a 25 % drop, a contract ending 61+ days out, one ended);
- for the first three managers, a contract that ended near the September run: a retention
  task from 2026-09, closed with an outcome (retained and renewed, downgraded to one
  product, lost) so the retention rate page has figures.

Birthdays: one contact of each account manager's customers gets a birthday in the week from
the seeding day (Beijing), so every care calendar has something in it. This is the one
date-relative part of the demo: the same seed on the same day gives the same rows.
"""

import csv
import io
from datetime import date, timedelta

from .. import records
from ..billing import importer
from ..db import rows
from ..retention import model as retention
from ..retention.run import run_rules

MONTHS = ("2026-07", "2026-08", "2026-09", "2026-10")
RULES_AS_OF = {"2026-09": date(2026, 10, 12), "2026-10": date(2026, 11, 16)}
PRODUCTS = ("VOICE", "DATA", "LINE", "IDC", "CLOUD", "IOT")
# Per handset and month: ARPU yuan, usage minutes, data MB (bigger customers spend more).
RATES = {"A": (95, 160), "B": (70, 110), "C": (45, 85)}
# October stories, by the at-risk customer's place (single, bundled) and the manager's turn.
STORIES = (
    (("arpu_drop",), ("usage_drop",)),
    (("usage_drop",), ("arpu_drop", "contract_end")),
    (("contract_end",), ("arpu_drop",)),
    (("arpu_drop",), ("arpu_drop", "usage_drop")),
)
OUTCOMES = (
    ("retained", "续签三年，专线扩容"),
    ("downgraded", "续签，但只保留语音业务"),
    ("lost", "已转网至其他运营商"),
)


def _products(rng, klass: str) -> list[str]:
    single = {"A": 0.0, "B": 0.2, "C": 0.5}[klass]
    if rng.random() < single:
        return [rng.choice(("VOICE", "DATA"))]
    extra = {"A": (2, 4), "B": (1, 2), "C": (1, 1)}[klass]
    return ["VOICE", *rng.sample(PRODUCTS[1:], rng.randint(*extra))]


def _base(rng, customer: dict) -> dict:
    handsets = customer["handsets"] or 10
    products = _products(rng, customer["customer_class"])
    arpu = handsets * rng.uniform(*RATES.get(customer["customer_class"], RATES["C"]))
    if "LINE" in products:
        arpu += rng.choice((2000, 3500, 5000, 8000))
    roll = rng.random()
    if roll < 0.15:
        end = None
    elif roll < 0.2:
        end = date(2026, 6, 30)  # ended before the figures start: the rule stays quiet
    else:
        end = date(2027, 2, 1) + timedelta(days=rng.randint(0, 1000))
    return {
        "arpu": arpu,
        "usage_minutes": handsets * rng.randint(180, 420),
        "data_mb": handsets * rng.uniform(4000, 12000),
        "handsets": handsets,
        "products": products,
        "contract_end": end,
    }


def _months(rng, base: dict) -> dict[str, dict]:
    """The four months' figures: each within ±6 % of the base (no rule can fire)."""
    out = {}
    for month in MONTHS:
        figures = dict(base)
        for key in ("arpu", "usage_minutes", "data_mb"):
            figures[key] = base[key] * rng.uniform(0.94, 1.06)
        out[month] = figures
    return out


def _drop(figures: dict, key: str, share: float) -> None:
    """October's `key` `share` below the average of July to September."""
    average = sum(figures[m][key] for m in MONTHS[:3]) / 3
    figures[MONTHS[3]][key] = average * (1 - share)


def _plan(rng, customers: list[dict], managers: list[dict]) -> tuple[dict, list]:
    """Every customer's monthly figures, with the stories; and the September renewals."""
    figures = {c["id"]: _months(rng, _base(rng, c)) for c in customers}
    by_manager: dict[str, list[dict]] = {m["id"]: [] for m in managers}
    for customer in customers:
        by_manager[customer["account_manager_id"]].append(customer)
    renewals = []
    october = RULES_AS_OF["2026-10"]
    for turn, manager in enumerate(managers):
        picked = rng.sample(by_manager[manager["id"]], 4)
        for place, customer in enumerate(picked[:2]):
            months = figures[customer["id"]]
            products = [rng.choice(("VOICE", "DATA"))] if place == 0 else ["VOICE", "DATA", "LINE"]
            for month in MONTHS:
                months[month]["products"] = products
            for rule in STORIES[turn % len(STORIES)][place]:
                if rule == "contract_end":
                    end = october + timedelta(days=rng.randint(35, 60))
                    for month in MONTHS:
                        months[month]["contract_end"] = end
                else:
                    key = "arpu" if rule == "arpu_drop" else "usage_minutes"
                    _drop(months, key, rng.uniform(0.32, 0.55))
        quiet = figures[picked[2]["id"]]
        if turn % 2:
            _drop(quiet, "arpu", 0.25)  # a 25 % drop: under the 30 % threshold
        else:
            for month in MONTHS:  # 61-75 days out: just past the 60-day window
                quiet[month]["contract_end"] = october + timedelta(days=rng.randint(61, 75))
        if turn < len(OUTCOMES):
            renewals.append((picked[3], manager, OUTCOMES[turn]))
            months = figures[picked[3]["id"]]
            september_end = RULES_AS_OF["2026-09"] + timedelta(days=rng.randint(20, 50))
            for month in MONTHS:
                months[month]["contract_end"] = september_end
            outcome = OUTCOMES[turn][0]
            if outcome == "retained":
                months[MONTHS[3]]["contract_end"] = september_end.replace(year=2029)
            elif outcome == "downgraded":
                months[MONTHS[3]]["contract_end"] = september_end.replace(year=2028)
                months[MONTHS[3]]["products"] = ["VOICE"]
                _drop(months, "arpu", 0.2)  # fewer products, under the drop threshold
            else:
                months[MONTHS[3]]["contract_end"] = None  # leaving: no contract to renew
    return figures, renewals


def _csv(customers: list[dict], figures: dict, month: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(importer.COLUMNS)
    for customer in customers:
        f = figures[customer["id"]][month]
        end = f["contract_end"].isoformat() if f["contract_end"] else ""
        writer.writerow(
            (
                customer["code"],
                f"{f['arpu']:.2f}",
                round(f["usage_minutes"]),
                f"{f['data_mb']:.1f}",
                f["handsets"],
                end,
                ";".join(f["products"]),
            )
        )
    return out.getvalue()


def _import(db, customers: list[dict], figures: dict, month: str) -> None:
    text = _csv(customers, figures, month)
    outcome = importer.import_month(db, None, month, text, filename=f"demo-billing-{month}.csv")
    if not outcome.applied:  # the demo's own file: a bad row is a bug here
        raise RuntimeError(f"demo billing {month} not imported: {outcome.report.bad_rows[:3]}")


def _birthdays(build, managers: list[dict], today: date) -> int:
    """One contact per account manager with a birthday in the week from `today`."""
    changed = 0
    for turn, manager in enumerate(managers):
        contacts = rows(
            build.db,
            "SELECT contact.id, contact.birthday FROM contact JOIN customer"
            " ON customer.id = contact.customer_id WHERE customer.account_manager_id = ?"
            " ORDER BY contact.id",
            [manager["id"]],
        )
        contact = build.rng.choice(contacts)
        day = today + timedelta(days=turn % 7)
        born = date.fromisoformat(contact["birthday"]).year
        if (day.month, day.day) == (2, 29):
            born = 1988  # a leap year, so the day exists
        birthday = date(born, day.month, day.day).isoformat()
        if birthday != contact["birthday"]:
            records.update(
                build.db, "contact", contact["id"], {"birthday": birthday}, None, "seed"
            )
            changed += 1
    return changed


def seed_retention(build, today: date) -> dict:
    """Billing months, points, churn warnings, retention tasks (some closed), birthdays."""
    db = build.db
    customers = rows(
        db,
        "SELECT id, code, handsets, customer_class, account_manager_id FROM customer"
        " ORDER BY code",
    )
    managers = rows(
        db, "SELECT id, username FROM app_user WHERE role = 'account_manager' ORDER BY username"
    )
    figures, renewals = _plan(build.rng, customers, managers)
    for month in MONTHS[:3]:
        _import(db, customers, figures, month)
    run_rules(db, "2026-09", as_of=RULES_AS_OF["2026-09"])
    for customer, manager, (outcome, reason) in renewals:
        task = rows(
            db,
            "SELECT id FROM retention_task WHERE customer_id = ? AND month = '2026-09'",
            [customer["id"]],
        )[0]
        retention.record_outcome(db, manager["id"], task["id"], outcome, reason)
    _import(db, customers, figures, MONTHS[3])
    found = run_rules(db, MONTHS[3], as_of=RULES_AS_OF[MONTHS[3]])
    return {"birthdays": _birthdays(build, managers, today), **found}
