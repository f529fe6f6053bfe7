"""The benchmark's database: a fresh migrated file, a minimal org tree, and raw twins of the
visit tables for the insert_all baseline."""

import re

from server.db import connect
from server.migrations import upgrade
from tests import factories

CUSTOMERS = 300


def build(path: str) -> tuple:
    """Migrate a new file; seed one account manager with 300 located customers."""
    db = connect(path)
    upgrade(db)
    province = factories.make_org(db, "province", name="浙江省公司")
    city = factories.make_org(db, "city", province, name="杭州分公司")
    district = factories.make_org(db, "district", city, name="西湖区")
    team = factories.make_org(db, "team", district, name="西湖一班")
    am = factories.make_user(db, team, "account_manager", username="bench_am")
    customers = [
        factories.make_customer(
            db, team, am, lat=30.20 + (i % 20) * 0.005, lon=120.10 + (i // 20) * 0.005
        )
        for i in range(CUSTOMERS)
    ]
    return db, am, customers


def final_rows(db, body: dict) -> tuple[list[dict], list[dict]]:
    """The visit and follow-up rows a pushed batch left in the server's database."""
    ids = [m["args"]["id"] for m in body["mutations"] if m["name"] == "visit.check_in"]
    marks = ",".join("?" * len(ids))
    visits = db.execute(f"SELECT * FROM visit WHERE id IN ({marks})", ids).fetchall()
    follow_ups = db.execute(f"SELECT * FROM follow_up WHERE visit_id IN ({marks})", ids)
    return [dict(r) for r in visits], [dict(r) for r in follow_ups.fetchall()]


LOGS = ("change_log", "audit_log", "mutation_log")  # what every ingested mutation adds


def fresh_raw_tables(db, tables) -> None:
    """<table>_raw for each table: the same DDL (columns, checks, keys, indexes), empty."""
    for table in tables:
        db.execute(f"DROP TABLE IF EXISTS {table}_raw")
        ddl = db.execute(
            "SELECT type, sql FROM sqlite_master WHERE tbl_name = ? AND sql IS NOT NULL"
            " ORDER BY type DESC",
            [table],
        ).fetchall()
        for kind, sql in ddl:
            if kind == "table":
                sql = re.sub(rf"^CREATE TABLE {table}\b", f"CREATE TABLE {table}_raw", sql)
            else:
                sql = re.sub(r"^CREATE INDEX (\w+)", r"CREATE INDEX raw_\1", sql)
                sql = re.sub(rf" ON {table}\(", f" ON {table}_raw(", sql)
            db.execute(sql)


def log_marks(db) -> dict:
    """The last rowid of each log table: rows after it were written later."""
    return {t: db.execute(f"SELECT coalesce(max(rowid), 0) FROM {t}").fetchone()[0] for t in LOGS}


def log_rows(db, before: dict, after: dict) -> dict:
    """The log rows written between two marks, by table (change_key by the seqs it indexes)."""
    out = {}
    for t in LOGS:
        sql = f"SELECT * FROM {t} WHERE rowid > ? AND rowid <= ? ORDER BY rowid"
        out[t] = [dict(r) for r in db.execute(sql, [before[t], after[t]])]
    if db["change_key"].exists():  # the change feed's scope index (WITHOUT ROWID)
        sql = "SELECT * FROM change_key WHERE seq > ? AND seq <= ?"
        params = [before["change_log"], after["change_log"]]
        out["change_key"] = [dict(r) for r in db.execute(sql, params)]
    return out
