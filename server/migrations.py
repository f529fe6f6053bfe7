"""Schema as an append-only history. Never edit an applied migration: add a new one."""

import secrets

from sqlite_utils.migrations import Migrations

from .ids import now_utc

migrations = Migrations("fieldbook")

SYNCED = """
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT,
    version INTEGER NOT NULL DEFAULT 0
"""


def _run(db, sql: str) -> None:
    """Run several statements inside the migration transaction (executescript would commit)."""
    for statement in sql.split(";"):
        if statement.strip():
            db.execute(statement)


@migrations()
def m001_foundation(db):
    _run(
        db,
        f"""
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

        CREATE TABLE change_log (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            entity TEXT NOT NULL,
            entity_id TEXT NOT NULL,
            at TEXT NOT NULL
        );
        CREATE INDEX change_log_entity ON change_log(entity, entity_id);

        CREATE TABLE org (
            id TEXT PRIMARY KEY,
            parent_id TEXT REFERENCES org(id),
            kind TEXT NOT NULL CHECK (kind IN
                ('province', 'city', 'district', 'team', 'contractor')),
            code TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            path TEXT NOT NULL,
            depth INTEGER NOT NULL,
            deleted_at TEXT,
            {SYNCED}
        );
        CREATE INDEX org_path ON org(path);
        CREATE INDEX org_parent ON org(parent_id);

        CREATE TABLE app_user (
            id TEXT PRIMARY KEY,
            username TEXT NOT NULL UNIQUE COLLATE NOCASE,
            display_name TEXT NOT NULL,
            role TEXT NOT NULL CHECK (role IN
                ('account_manager', 'technician', 'supervisor', 'admin')),
            org_id TEXT NOT NULL REFERENCES org(id),
            phone TEXT,
            email TEXT,
            password_hash TEXT NOT NULL,
            active INTEGER NOT NULL DEFAULT 1,
            session_gen INTEGER NOT NULL DEFAULT 1,
            locale TEXT,
            timezone TEXT NOT NULL DEFAULT 'Asia/Shanghai',
            {SYNCED}
        );
        CREATE INDEX app_user_org ON app_user(org_id);

        CREATE TABLE api_token (
            id TEXT PRIMARY KEY,
            user_id TEXT NOT NULL REFERENCES app_user(id),
            device_name TEXT NOT NULL,
            access_hash TEXT NOT NULL UNIQUE,
            refresh_hash TEXT NOT NULL UNIQUE,
            access_expires_at TEXT NOT NULL,
            refresh_expires_at TEXT NOT NULL,
            created_at TEXT NOT NULL,
            last_used_at TEXT,
            revoked_at TEXT
        );
        CREATE INDEX api_token_user ON api_token(user_id);

        CREATE TABLE customer (
            id TEXT PRIMARY KEY,
            code TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            industry TEXT NOT NULL DEFAULT 'other',
            handsets INTEGER NOT NULL DEFAULT 0,
            top500 INTEGER NOT NULL DEFAULT 0,
            computed_class TEXT NOT NULL CHECK (computed_class IN ('A', 'B', 'C')),
            class_override TEXT CHECK (class_override IN ('A', 'B', 'C')),
            class_override_reason TEXT,
            customer_class TEXT NOT NULL CHECK (customer_class IN ('A', 'B', 'C')),
            sla_grade TEXT NOT NULL CHECK (sla_grade IN
                ('diamond', 'gold', 'silver', 'bronze', 'standard')),
            account_manager_id TEXT REFERENCES app_user(id),
            org_id TEXT NOT NULL REFERENCES org(id),
            address TEXT NOT NULL DEFAULT '',
            lat REAL,
            lon REAL,
            deleted_at TEXT,
            {SYNCED}
        );
        CREATE INDEX customer_org ON customer(org_id);
        CREATE INDEX customer_am ON customer(account_manager_id);

        CREATE TABLE contact (
            id TEXT PRIMARY KEY,
            customer_id TEXT NOT NULL REFERENCES customer(id),
            name TEXT NOT NULL,
            title TEXT NOT NULL DEFAULT '',
            phone TEXT NOT NULL DEFAULT '',
            birthday TEXT,
            key_dates TEXT NOT NULL DEFAULT '[]',
            deleted_at TEXT,
            {SYNCED}
        );
        CREATE INDEX contact_customer ON contact(customer_id);

        CREATE TABLE site (
            id TEXT PRIMARY KEY,
            code TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            site_type TEXT NOT NULL CHECK (site_type IN
                ('base_station', 'customer_premises', 'line_endpoint')),
            lat REAL,
            lon REAL,
            area TEXT NOT NULL DEFAULT '',
            address TEXT NOT NULL DEFAULT '',
            org_id TEXT NOT NULL REFERENCES org(id),
            contractor_id TEXT REFERENCES org(id),
            customer_id TEXT REFERENCES customer(id),
            inspection_cycle_days INTEGER NOT NULL DEFAULT 90,
            deleted_at TEXT,
            {SYNCED}
        );
        CREATE INDEX site_org ON site(org_id);
        CREATE INDEX site_contractor ON site(contractor_id);
        CREATE INDEX site_customer ON site(customer_id);

        CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            user_id TEXT,
            action TEXT NOT NULL,
            entity TEXT NOT NULL,
            entity_id TEXT,
            before TEXT,
            after TEXT,
            ip TEXT
        );
        CREATE INDEX audit_log_entity ON audit_log(entity, entity_id);
        CREATE INDEX audit_log_user ON audit_log(user_id);

        CREATE TABLE import_batch (
            id TEXT PRIMARY KEY,
            user_id TEXT NOT NULL REFERENCES app_user(id),
            kind TEXT NOT NULL,
            filename TEXT NOT NULL,
            content TEXT NOT NULL,
            created_at TEXT NOT NULL,
            applied_at TEXT
        )
        """,
    )
    db.execute(
        "INSERT INTO meta (key, value) VALUES ('server_epoch', ?), ('created_at', ?)",
        [secrets.token_hex(8), now_utc()],
    )


def upgrade(db) -> list[str]:
    """Apply pending migrations; return the names applied."""
    pending = [m.name for m in migrations.pending(db)]
    migrations.apply(db)
    return pending


def schema_version(db) -> str | None:
    """Name of the newest applied migration, or None on an empty database."""
    applied = migrations.applied(db)
    return applied[-1].name if applied else None


@migrations()
def m002_sync_and_visits(db):
    from sync.schema import create_tables

    create_tables(db)
    _run(
        db,
        f"""
        CREATE TABLE visit (
            id TEXT PRIMARY KEY,
            customer_id TEXT NOT NULL REFERENCES customer(id),
            account_manager_id TEXT NOT NULL REFERENCES app_user(id),
            org_id TEXT NOT NULL REFERENCES org(id),
            status TEXT NOT NULL CHECK (status IN
                ('planned', 'in_progress', 'completed', 'approved', 'returned', 'cancelled')),
            purpose TEXT NOT NULL DEFAULT 'routine',
            planned_date TEXT,
            check_in_at TEXT,
            check_in_device_at TEXT,
            check_in_lat REAL,
            check_in_lon REAL,
            check_in_accuracy REAL,
            check_in_distance_m REAL,
            check_in_flag TEXT,
            check_out_at TEXT,
            check_out_device_at TEXT,
            check_out_lat REAL,
            check_out_lon REAL,
            check_out_accuracy REAL,
            contacts_met TEXT NOT NULL DEFAULT '[]',
            notes TEXT NOT NULL DEFAULT '',
            feedback TEXT NOT NULL DEFAULT '',
            satisfaction INTEGER CHECK (satisfaction BETWEEN 1 AND 5),
            signature_sha256 TEXT,
            field_clock TEXT NOT NULL DEFAULT '{{}}',
            deleted_at TEXT,
            {SYNCED}
        );
        CREATE INDEX visit_am ON visit(account_manager_id, planned_date);
        CREATE INDEX visit_customer ON visit(customer_id, check_in_at);
        CREATE INDEX visit_org ON visit(org_id, status);

        CREATE TABLE visit_photo (
            id TEXT PRIMARY KEY,
            visit_id TEXT NOT NULL REFERENCES visit(id),
            account_manager_id TEXT NOT NULL REFERENCES app_user(id),
            sha256 TEXT NOT NULL,
            mime TEXT NOT NULL,
            size INTEGER NOT NULL,
            caption TEXT NOT NULL DEFAULT '',
            taken_at TEXT,
            deleted_at TEXT,
            {SYNCED}
        );
        CREATE INDEX visit_photo_visit ON visit_photo(visit_id);

        CREATE TABLE follow_up (
            id TEXT PRIMARY KEY,
            visit_id TEXT NOT NULL REFERENCES visit(id),
            customer_id TEXT NOT NULL REFERENCES customer(id),
            account_manager_id TEXT NOT NULL REFERENCES app_user(id),
            action TEXT NOT NULL,
            due_date TEXT NOT NULL,
            done_at TEXT,
            field_clock TEXT NOT NULL DEFAULT '{{}}',
            deleted_at TEXT,
            {SYNCED}
        );
        CREATE INDEX follow_up_visit ON follow_up(visit_id);
        CREATE INDEX follow_up_am ON follow_up(account_manager_id, due_date)
        """,
    )
