"""Schema as an append-only history. Never edit an applied migration: add a new one.

Definition order is application order: a new database runs the functions below from the
top, whatever their numbers say (m007 stands before m005, m022 before m018: they were
written on branches and landed in this order). Append a new migration at the end, and its
name and source hash to tests/test_migrations_frozen.py, which fails on an edit or a move."""

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


@migrations()
def m003_work_orders_and_inspections(db):
    _run(
        db,
        f"""
        CREATE TABLE sla_policy (
            id TEXT PRIMARY KEY,
            version INTEGER NOT NULL,
            sla_grade TEXT NOT NULL CHECK (sla_grade IN
                ('diamond', 'gold', 'silver', 'bronze', 'standard')),
            response_minutes INTEGER NOT NULL CHECK (response_minutes > 0),
            arrival_minutes INTEGER NOT NULL CHECK (arrival_minutes > 0),
            restore_minutes INTEGER NOT NULL CHECK (restore_minutes > 0),
            effective_from TEXT NOT NULL,
            note TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            created_by TEXT,
            UNIQUE (version, sla_grade)
        );

        CREATE TABLE checklist_template (
            id TEXT PRIMARY KEY,
            site_type TEXT NOT NULL,
            template_version INTEGER NOT NULL,
            name TEXT NOT NULL,
            active INTEGER NOT NULL DEFAULT 1,
            deleted_at TEXT,
            {SYNCED},
            UNIQUE (site_type, template_version)
        );

        CREATE TABLE checklist_item (
            id TEXT PRIMARY KEY,
            template_id TEXT NOT NULL REFERENCES checklist_template(id),
            position INTEGER NOT NULL,
            label TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('pass_fail', 'reading', 'choice', 'text', 'photo')),
            unit TEXT NOT NULL DEFAULT '',
            min_value REAL,
            max_value REAL,
            choices TEXT NOT NULL DEFAULT '[]',
            failing_choices TEXT NOT NULL DEFAULT '[]',
            photo_required INTEGER NOT NULL DEFAULT 0,
            deleted_at TEXT,
            {SYNCED},
            UNIQUE (template_id, position)
        );

        CREATE TABLE inspection_plan (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            org_id TEXT NOT NULL REFERENCES org(id),
            site_type TEXT NOT NULL,
            assigned_org_id TEXT REFERENCES org(id),
            start_date TEXT NOT NULL,
            active INTEGER NOT NULL DEFAULT 1,
            deleted_at TEXT,
            {SYNCED}
        );

        CREATE TABLE work_order (
            id TEXT PRIMARY KEY,
            code TEXT NOT NULL UNIQUE,
            wo_type TEXT NOT NULL CHECK (wo_type IN ('fault_repair', 'on_demand', 'inspection',
                'accompanying', 'rectification', 'exception_report')),
            status TEXT NOT NULL CHECK (status IN ('dispatched', 'accepted', 'en_route',
                'on_site', 'resolved', 'submitted', 'approved', 'returned', 'closed',
                'cancelled')),
            title TEXT NOT NULL DEFAULT '',
            description TEXT NOT NULL DEFAULT '',
            site_id TEXT REFERENCES site(id),
            customer_id TEXT REFERENCES customer(id),
            org_id TEXT NOT NULL REFERENCES org(id),
            assigned_org_id TEXT REFERENCES org(id),
            assignee_id TEXT REFERENCES app_user(id),
            reported_by TEXT REFERENCES app_user(id),
            sla_grade TEXT NOT NULL DEFAULT 'standard',
            sla_policy_version INTEGER,
            dispatched_at TEXT,
            response_due_at TEXT,
            arrival_due_at TEXT,
            restore_due_at TEXT,
            accepted_at TEXT,
            en_route_at TEXT,
            on_site_at TEXT,
            resolved_at TEXT,
            submitted_at TEXT,
            approved_at TEXT,
            closed_at TEXT,
            cancelled_at TEXT,
            cancel_reason TEXT,
            check_in_lat REAL,
            check_in_lon REAL,
            check_in_accuracy REAL,
            check_in_distance_m REAL,
            check_in_flag TEXT,
            lat REAL,
            lon REAL,
            diagnosis TEXT NOT NULL DEFAULT '',
            cause TEXT NOT NULL DEFAULT '',
            fix TEXT NOT NULL DEFAULT '',
            parts_used TEXT NOT NULL DEFAULT '[]',
            time_flags TEXT NOT NULL DEFAULT '',
            parent_id TEXT REFERENCES work_order(id),
            parent_item_id TEXT REFERENCES checklist_item(id),
            checklist_template_id TEXT REFERENCES checklist_template(id),
            inspection_plan_id TEXT REFERENCES inspection_plan(id),
            plan_period TEXT,
            return_reason TEXT,
            field_clock TEXT NOT NULL DEFAULT '{{}}',
            deleted_at TEXT,
            {SYNCED}
        );
        CREATE INDEX work_order_org ON work_order(org_id, status);
        CREATE INDEX work_order_assignee ON work_order(assignee_id, status);
        CREATE INDEX work_order_team ON work_order(assigned_org_id, status);
        CREATE INDEX work_order_site ON work_order(site_id, created_at);
        CREATE INDEX work_order_due ON work_order(status, restore_due_at);
        CREATE INDEX work_order_created ON work_order(created_at);
        CREATE UNIQUE INDEX work_order_plan_period
            ON work_order(site_id, inspection_plan_id, plan_period)
            WHERE inspection_plan_id IS NOT NULL;

        CREATE TABLE work_order_event (
            id TEXT PRIMARY KEY,
            work_order_id TEXT NOT NULL REFERENCES work_order(id),
            user_id TEXT,
            from_status TEXT,
            to_status TEXT NOT NULL,
            device_at TEXT,
            corrected_at TEXT,
            server_at TEXT NOT NULL,
            clock_offset_ms INTEGER,
            flags TEXT NOT NULL DEFAULT '',
            lat REAL,
            lon REAL,
            note TEXT NOT NULL DEFAULT '',
            deleted_at TEXT,
            {SYNCED}
        );
        CREATE INDEX work_order_event_order ON work_order_event(work_order_id, server_at);

        CREATE TABLE work_order_photo (
            id TEXT PRIMARY KEY,
            work_order_id TEXT NOT NULL REFERENCES work_order(id),
            stage TEXT NOT NULL CHECK (stage IN ('before', 'after', 'evidence')),
            sha256 TEXT NOT NULL,
            mime TEXT NOT NULL,
            size INTEGER NOT NULL,
            caption TEXT NOT NULL DEFAULT '',
            taken_at TEXT,
            deleted_at TEXT,
            {SYNCED}
        );
        CREATE INDEX work_order_photo_order ON work_order_photo(work_order_id);

        CREATE TABLE inspection_answer (
            id TEXT PRIMARY KEY,
            work_order_id TEXT NOT NULL REFERENCES work_order(id),
            item_id TEXT NOT NULL REFERENCES checklist_item(id),
            value_text TEXT,
            value_number REAL,
            passed INTEGER NOT NULL,
            remark TEXT NOT NULL DEFAULT '',
            photo_sha256 TEXT,
            rectification_id TEXT REFERENCES work_order(id),
            answered_device_at TEXT,
            deleted_at TEXT,
            {SYNCED}
        );
        CREATE INDEX inspection_answer_order ON inspection_answer(work_order_id, item_id)
        """,
    )
    # SLA policy version 1: (response, arrival, restore) minutes per grade. Literal here so
    # this migration means the same thing forever; later versions are edits by admins.
    limits = {
        "diamond": (15, 120, 240),
        "gold": (30, 240, 480),
        "silver": (60, 360, 720),
        "bronze": (120, 480, 1440),
        "standard": (240, 1440, 2880),
    }
    for grade, (response, arrival, restore) in limits.items():
        db.execute(
            "INSERT INTO sla_policy (id, version, sla_grade, response_minutes, arrival_minutes,"
            " restore_minutes, effective_from, note, created_at)"
            " VALUES (?, 1, ?, ?, ?, ?, '2000-01-01T00:00:00.000Z', 'defaults', ?)",
            [f"sla-v1-{grade}", grade, response, arrival, restore, now_utc()],
        )


@migrations()
def m004_board_indexes(db):
    # The dispatch board's order (server/work_orders/board.py): urgency rank (0 a clock is
    # running, 1 open without one, 2 closed or cancelled), then the running deadline (arrival
    # until on site, then restore), newest first. The filter columns ride along so a filtered
    # page walks this index alone and reads the table only for the rows it shows.
    _run(
        db,
        """
        CREATE INDEX work_order_board ON work_order(
            (CASE WHEN status IN ('dispatched', 'accepted', 'en_route', 'on_site')
                AND restore_due_at IS NOT NULL THEN 0
                WHEN status IN ('closed', 'cancelled') THEN 2 ELSE 1 END),
            (CASE WHEN status IN ('dispatched', 'accepted', 'en_route', 'on_site')
                THEN CASE WHEN on_site_at IS NULL THEN arrival_due_at ELSE restore_due_at END
                END),
            created_at DESC, id DESC,
            status, wo_type, sla_grade, org_id, assigned_org_id, assignee_id, deleted_at
        )
        """,
    )


@migrations()
def m007_tasks_appointments(db):
    # Tasks supervisors assign to account managers (progress is computed from visits, see
    # server/tasks/rules.py), and customers' appointment requests (预约服务) with the planned
    # visit or work order each became (server/appointments/model.py).
    _run(
        db,
        f"""
        CREATE TABLE task (
            id TEXT PRIMARY KEY,
            batch_id TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('class_coverage', 'promotion', 'free_text')),
            title TEXT NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            assignee_id TEXT NOT NULL REFERENCES app_user(id),
            org_id TEXT NOT NULL REFERENCES org(id),
            assigned_by TEXT REFERENCES app_user(id),
            customer_class TEXT CHECK (customer_class IN ('A', 'B', 'C')),
            purpose TEXT,
            keyword TEXT NOT NULL DEFAULT '',
            target_count INTEGER,
            target_customer_ids TEXT NOT NULL DEFAULT '[]',
            start_date TEXT NOT NULL,
            due_date TEXT NOT NULL,
            window_start_at TEXT NOT NULL,
            window_end_at TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'cancelled')),
            done_at TEXT,
            done_device_at TEXT,
            done_note TEXT NOT NULL DEFAULT '',
            deleted_at TEXT,
            {SYNCED}
        );
        CREATE INDEX task_assignee ON task(assignee_id, due_date);
        CREATE INDEX task_org ON task(org_id, due_date);
        CREATE INDEX task_batch ON task(batch_id);

        CREATE TABLE appointment (
            id TEXT PRIMARY KEY,
            customer_id TEXT NOT NULL REFERENCES customer(id),
            org_id TEXT NOT NULL REFERENCES org(id),
            account_manager_id TEXT REFERENCES app_user(id),
            recorded_by TEXT REFERENCES app_user(id),
            wanted_at TEXT NOT NULL,
            need TEXT NOT NULL,
            contact_name TEXT NOT NULL DEFAULT '',
            contact_phone TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL DEFAULT 'open' CHECK (status IN
                ('open', 'planned', 'done', 'cancelled')),
            visit_id TEXT REFERENCES visit(id),
            work_order_id TEXT REFERENCES work_order(id),
            converted_at TEXT,
            outcome TEXT NOT NULL DEFAULT '',
            closed_at TEXT,
            deleted_at TEXT,
            {SYNCED}
        );
        CREATE INDEX appointment_org ON appointment(org_id, wanted_at);
        CREATE INDEX appointment_am ON appointment(account_manager_id, wanted_at);
        CREATE INDEX appointment_customer ON appointment(customer_id)
        """,
    )


@migrations()
def m005_sync_pull_indexes(db):
    # A technician's first pull (scope.work_orders): orders assigned to them (work_order_
    # assignee), waiting on their team or contractor with no technician (assigned org and
    # a null assignee, one index range), or reported by them (few rows: a partial index).
    # With all three terms indexed SQLite unions three small ranges instead of walking
    # every order by id.
    _run(
        db,
        """
        CREATE INDEX work_order_unassigned ON work_order(assigned_org_id, assignee_id);
        CREATE INDEX work_order_reporter ON work_order(reported_by)
            WHERE reported_by IS NOT NULL
        """,
    )


@migrations()
def m006_reviews(db):
    # Review history (every approve, return and resubmission, never overwritten), spot checks
    # ("three checks, one call"), and a visit's return reason for the author's device.
    _run(
        db,
        f"""
        CREATE TABLE review (
            id TEXT PRIMARY KEY,
            entity TEXT NOT NULL CHECK (entity IN ('visit', 'work_order')),
            entity_id TEXT NOT NULL,
            action TEXT NOT NULL CHECK (action IN ('approve', 'return', 'resubmit')),
            reason TEXT NOT NULL DEFAULT '',
            reviewer_id TEXT REFERENCES app_user(id),
            at TEXT NOT NULL,
            org_id TEXT NOT NULL REFERENCES org(id),
            deleted_at TEXT,
            {SYNCED}
        );
        CREATE INDEX review_entity ON review(entity, entity_id, at);

        CREATE TABLE spot_check (
            id TEXT PRIMARY KEY,
            entity TEXT NOT NULL CHECK (entity IN ('visit', 'work_order')),
            entity_id TEXT NOT NULL,
            method TEXT NOT NULL CHECK (method IN
                ('on_site', 'phone', 'video', 'satisfaction_call')),
            result TEXT NOT NULL CHECK (result IN ('ok', 'problem')),
            note TEXT NOT NULL DEFAULT '',
            checked_by TEXT REFERENCES app_user(id),
            checked_at TEXT NOT NULL,
            org_id TEXT NOT NULL REFERENCES org(id),
            deleted_at TEXT,
            {SYNCED}
        );
        CREATE INDEX spot_check_entity ON spot_check(entity, entity_id);

        ALTER TABLE visit ADD COLUMN return_reason TEXT
        """,
    )


@migrations()
def m009_statistics(db):
    # The statistics page (server/statistics/queries.py) aggregates a period of visits and
    # work orders. Each index starts where a chart's range starts and carries every column
    # its filters, scope and sums read, so a chart walks one index range, not the table:
    # visits by check-in time (admins) or by org then time (a supervisor's teams, an IN
    # list); orders by creation time (SLA, all types) or by type then time (faults,
    # inspections; with the cause and the id the answers join on). Failed checklist
    # answers are few: a partial index finds them per inspection.
    _run(
        db,
        """
        CREATE INDEX visit_statistics ON visit(
            check_in_at, org_id, status, customer_id, deleted_at);
        CREATE INDEX visit_statistics_org ON visit(
            org_id, check_in_at, status, customer_id, deleted_at);
        CREATE INDEX work_order_statistics ON work_order(
            created_at, wo_type, sla_grade, org_id, assigned_org_id, status, customer_id,
            deleted_at, arrival_due_at, on_site_at, restore_due_at, resolved_at);
        CREATE INDEX work_order_type_statistics ON work_order(
            wo_type, created_at, org_id, assigned_org_id, sla_grade, status, customer_id,
            deleted_at, cause, id);
        CREATE INDEX inspection_answer_failed ON inspection_answer(work_order_id, item_id)
            WHERE passed = 0
        """,
    )


@migrations()
def m008_scores(db):
    # Performance scores (server/scores): the weights policy per role, versioned (a month is
    # scored with the version in force on its first day), and the computed monthly cards
    # (people's cards replicate to their own devices). Indexes for the months' windows
    # (visits by check-in already have m009's visit_statistics).
    _run(
        db,
        f"""
        CREATE TABLE score_policy (
            id TEXT PRIMARY KEY,
            version INTEGER NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('account_manager', 'technician')),
            weights TEXT NOT NULL,
            effective_from TEXT NOT NULL,
            note TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            created_by TEXT,
            UNIQUE (role, version)
        );

        CREATE TABLE scorecard (
            id TEXT PRIMARY KEY,
            month TEXT NOT NULL,
            role TEXT NOT NULL CHECK (role IN
                ('account_manager', 'technician', 'team', 'contractor')),
            user_id TEXT REFERENCES app_user(id),
            org_id TEXT NOT NULL REFERENCES org(id),
            score REAL,
            indicators TEXT NOT NULL DEFAULT '{{}}',
            policy_version INTEGER,
            computed_at TEXT NOT NULL,
            deleted_at TEXT,
            {SYNCED}
        );
        CREATE UNIQUE INDEX scorecard_subject
            ON scorecard(month, role, coalesce(user_id, org_id));
        CREATE INDEX scorecard_user ON scorecard(user_id, month);
        CREATE INDEX visit_planned ON visit(planned_date);
        CREATE INDEX follow_up_due ON follow_up(due_date);
        CREATE INDEX work_order_arrival_due ON work_order(arrival_due_at);
        CREATE INDEX work_order_restore_due ON work_order(restore_due_at);
        CREATE INDEX work_order_resolved ON work_order(resolved_at);
        CREATE INDEX work_order_inspection_due
            ON work_order(coalesce(substr(plan_period, 12, 10), date(restore_due_at, '+8 hours')))
            WHERE wo_type = 'inspection'
        """,
    )
    # Version 1 of each role's weights: literal here so this migration means the same
    # thing forever (server/scores/policy.py DEFAULTS says the same).
    defaults = {
        "account_manager": {
            "visit_plan_completion": 25,
            "a_class_coverage": 20,
            "follow_ups_on_time": 15,
            "satisfaction": 20,
            "visit_review_pass": 10,
            "visit_report_timeliness": 10,
        },
        "technician": {
            "sla_arrival": 20,
            "sla_restore": 20,
            "inspection_completion": 20,
            "first_time_fix": 15,
            "order_review_pass": 15,
            "order_report_timeliness": 10,
        },
    }
    import json

    for role, weights in defaults.items():
        db.execute(
            "INSERT INTO score_policy (id, version, role, weights, effective_from, note,"
            " created_at) VALUES (?, 1, ?, ?, '2000-01-01', 'defaults', ?)",
            [f"score-v1-{role}", role, json.dumps(weights), now_utc()],
        )


@migrations()
def m012_retention(db):
    # Retention (server/billing, server/retention): monthly billing figures per customer
    # (replaced month by month by imports), the versioned churn policy, warnings (each keeps
    # the policy version and the figures it used), each customer's latest churn standing (for
    # segmentation), and retention tasks for account managers (synced to their devices).
    _run(
        db,
        f"""
        CREATE TABLE billing_month (
            customer_id TEXT NOT NULL REFERENCES customer(id),
            month TEXT NOT NULL,
            arpu REAL NOT NULL,
            usage_minutes INTEGER NOT NULL,
            data_mb REAL NOT NULL,
            handsets INTEGER NOT NULL,
            contract_end TEXT,
            products TEXT NOT NULL,
            import_id TEXT,
            PRIMARY KEY (customer_id, month)
        );
        CREATE INDEX billing_month_month ON billing_month(month);

        CREATE TABLE billing_import (
            id TEXT PRIMARY KEY,
            month TEXT NOT NULL,
            batch_id TEXT,
            filename TEXT NOT NULL DEFAULT '',
            rows INTEGER NOT NULL,
            added INTEGER NOT NULL,
            changed INTEGER NOT NULL,
            unchanged INTEGER NOT NULL,
            removed INTEGER NOT NULL,
            class_changes INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            created_by TEXT REFERENCES app_user(id)
        );
        CREATE INDEX billing_import_month ON billing_import(month, created_at);

        CREATE TABLE churn_policy (
            id TEXT PRIMARY KEY,
            version INTEGER NOT NULL UNIQUE,
            rules TEXT NOT NULL,
            note TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            created_by TEXT REFERENCES app_user(id)
        );

        CREATE TABLE churn_warning (
            id TEXT PRIMARY KEY,
            customer_id TEXT NOT NULL REFERENCES customer(id),
            month TEXT NOT NULL,
            policy_version INTEGER NOT NULL,
            fired TEXT NOT NULL,
            score REAL NOT NULL,
            tendency TEXT NOT NULL CHECK (tendency IN ('high', 'medium', 'low')),
            bundling TEXT NOT NULL CHECK (bundling IN ('single', 'bundled', 'none')),
            retention_task_id TEXT,
            created_at TEXT NOT NULL,
            UNIQUE (customer_id, month)
        );
        CREATE INDEX churn_warning_month ON churn_warning(month);

        CREATE TABLE churn_standing (
            customer_id TEXT PRIMARY KEY REFERENCES customer(id),
            month TEXT NOT NULL,
            policy_version INTEGER NOT NULL,
            score REAL NOT NULL,
            tendency TEXT NOT NULL CHECK (tendency IN ('high', 'medium', 'low')),
            bundling TEXT NOT NULL CHECK (bundling IN ('single', 'bundled', 'none')),
            computed_at TEXT NOT NULL
        );
        CREATE INDEX churn_standing_segment ON churn_standing(tendency, bundling);

        CREATE TABLE retention_task (
            id TEXT PRIMARY KEY,
            customer_id TEXT NOT NULL REFERENCES customer(id),
            org_id TEXT NOT NULL REFERENCES org(id),
            assignee_id TEXT REFERENCES app_user(id),
            warning_id TEXT NOT NULL REFERENCES churn_warning(id),
            month TEXT NOT NULL,
            policy_version INTEGER NOT NULL,
            reasons TEXT NOT NULL,
            tendency TEXT NOT NULL CHECK (tendency IN ('high', 'medium', 'low')),
            bundling TEXT NOT NULL CHECK (bundling IN ('single', 'bundled', 'none')),
            value_tier TEXT NOT NULL CHECK (value_tier IN ('A', 'B', 'C')),
            due_date TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
            outcome TEXT CHECK (outcome IN ('retained', 'downgraded', 'lost', 'won_back')),
            outcome_reason TEXT NOT NULL DEFAULT '',
            outcome_at TEXT,
            outcome_device_at TEXT,
            outcome_by TEXT REFERENCES app_user(id),
            deleted_at TEXT,
            {SYNCED}
        );
        CREATE UNIQUE INDEX retention_task_open ON retention_task(customer_id)
            WHERE status = 'open' AND deleted_at IS NULL;
        CREATE INDEX retention_task_assignee ON retention_task(assignee_id, status);
        CREATE INDEX retention_task_org ON retention_task(org_id, outcome_at);
        CREATE INDEX retention_task_customer ON retention_task(customer_id)
        """,
    )
    # Version 1 of the churn policy: literal here so this migration means the same thing
    # forever (server/retention/policy.py DEFAULTS says the same).
    import json

    rules = {
        "arpu_drop_pct": 30,
        "usage_drop_pct": 30,
        "contract_window_days": 60,
        "weights": {"arpu_drop": 1.0, "usage_drop": 1.0, "contract_end": 1.0},
        "single_product_factor": 1.5,
        "warn_at": 1.0,
        "high_at": 1.5,
    }
    db.execute(
        "INSERT INTO churn_policy (id, version, rules, note, created_at)"
        " VALUES ('churn-v1', 1, ?, 'defaults', ?)",
        [json.dumps(rules), now_utc()],
    )


@migrations()
def m011_push(db):
    # Web Push reminders (server/push, server/reminders): each device's push subscription,
    # a user's quiet hours, and the reminder outbox. A reminder's key (user, kind, subject,
    # occasion) is unique, so a run that computes the same reminder again inserts nothing;
    # deliveries record which of the user's subscriptions already got it, so a retry goes
    # only to the ones that failed. Cursors remember how far the change log was read.
    _run(
        db,
        """
        CREATE TABLE push_subscription (
            id TEXT PRIMARY KEY,
            user_id TEXT NOT NULL REFERENCES app_user(id),
            token_id TEXT,
            endpoint TEXT NOT NULL UNIQUE,
            p256dh TEXT NOT NULL,
            auth TEXT NOT NULL,
            device_name TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            last_sent_at TEXT,
            last_error TEXT
        );
        CREATE INDEX push_subscription_user ON push_subscription(user_id);

        CREATE TABLE reminder_preference (
            user_id TEXT PRIMARY KEY REFERENCES app_user(id),
            quiet_start TEXT NOT NULL,
            quiet_end TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );

        CREATE TABLE reminder (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            user_id TEXT NOT NULL REFERENCES app_user(id),
            kind TEXT NOT NULL,
            subject_id TEXT NOT NULL,
            occasion TEXT NOT NULL,
            urgent INTEGER NOT NULL DEFAULT 0,
            params TEXT NOT NULL DEFAULT '{}',
            url TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN
                ('pending', 'held', 'sent', 'no_device', 'expired', 'failed')),
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            next_attempt_at TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            sent_at TEXT,
            last_error TEXT,
            UNIQUE (user_id, kind, subject_id, occasion)
        );
        CREATE INDEX reminder_due ON reminder(next_attempt_at)
            WHERE status IN ('pending', 'held');

        CREATE TABLE reminder_delivery (
            reminder_id INTEGER NOT NULL REFERENCES reminder(id),
            subscription_id TEXT NOT NULL,
            sent_at TEXT NOT NULL,
            PRIMARY KEY (reminder_id, subscription_id)
        );

        CREATE TABLE reminder_cursor (
            name TEXT PRIMARY KEY,
            value TEXT NOT NULL
        )
        """,
    )


@migrations()
def m013_care_points(db):
    # Care calendar (server/care): a company's founding day for its anniversary, China's
    # public holidays (editable by admins, synced to every device) and what an account
    # manager did about a care item (synced; one row per user and item). Customer points
    # (server/points): the versioned points policy (earn rate, levels) and the append-only
    # ledger (triggers refuse UPDATE and DELETE; the balance is the sum of its rows).
    _run(
        db,
        f"""
        ALTER TABLE customer ADD COLUMN founded_on TEXT;

        CREATE TABLE public_holiday (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            starts_on TEXT NOT NULL,
            ends_on TEXT NOT NULL,
            provisional INTEGER NOT NULL DEFAULT 0,
            deleted_at TEXT,
            {SYNCED}
        );
        CREATE INDEX public_holiday_day ON public_holiday(starts_on);

        CREATE TABLE care_done (
            id TEXT PRIMARY KEY,
            user_id TEXT NOT NULL REFERENCES app_user(id),
            org_id TEXT NOT NULL REFERENCES org(id),
            item_key TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('birthday', 'key_date', 'anniversary', 'holiday')),
            customer_id TEXT REFERENCES customer(id),
            contact_id TEXT REFERENCES contact(id),
            occurs_on TEXT NOT NULL,
            how TEXT NOT NULL CHECK (how IN ('visit', 'call', 'message', 'gift')),
            note TEXT NOT NULL DEFAULT '',
            done_at TEXT NOT NULL,
            done_device_at TEXT,
            deleted_at TEXT,
            {SYNCED},
            UNIQUE (user_id, item_key)
        );
        CREATE INDEX care_done_org ON care_done(org_id, occurs_on);

        CREATE TABLE points_policy (
            id TEXT PRIMARY KEY,
            version INTEGER NOT NULL UNIQUE,
            rules TEXT NOT NULL,
            effective_from TEXT NOT NULL,
            note TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            created_by TEXT REFERENCES app_user(id)
        );

        CREATE TABLE points_entry (
            id TEXT PRIMARY KEY,
            customer_id TEXT NOT NULL REFERENCES customer(id),
            kind TEXT NOT NULL CHECK (kind IN ('earn', 'adjust', 'redeem')),
            points INTEGER NOT NULL,
            month TEXT,
            policy_version INTEGER,
            basis TEXT,
            reason TEXT NOT NULL DEFAULT '',
            actor_id TEXT REFERENCES app_user(id),
            created_at TEXT NOT NULL
        );
        CREATE INDEX points_entry_customer ON points_entry(customer_id, created_at);
        CREATE INDEX points_entry_month ON points_entry(month, customer_id) WHERE kind = 'earn'
        """,
    )
    for event in ("UPDATE", "DELETE"):  # one statement each: _run splits on ';'
        db.execute(
            f"CREATE TRIGGER points_entry_no_{event.lower()} BEFORE {event} ON points_entry"
            " BEGIN SELECT RAISE(ABORT, 'points_entry is append-only'); END"
        )
    import json

    from sync.changes import log_change

    # Version 1 of the points policy, literal here so this migration means the same forever
    # (server/points/policy.py DEFAULTS says the same).
    rules = {
        "points_per_yuan": 1.0,
        "levels": [
            {"name": "普通", "min_points": 0},
            {"name": "银卡", "min_points": 5000},
            {"name": "金卡", "min_points": 20000},
            {"name": "钻石", "min_points": 100000},
        ],
    }
    at = now_utc()
    db.execute(
        "INSERT INTO points_policy (id, version, rules, effective_from, note, created_at)"
        " VALUES ('points-v1', 1, ?, '2000-01', 'defaults', ?)",
        [json.dumps(rules, ensure_ascii=False), at],
    )
    # China's public holidays 2026-2027 (server/care/holidays_cn.json as of this migration),
    # in the change log so devices that synced before hear of them, and in the audit log like
    # every other write of a synced row.
    holidays = [
        ("元旦", "2026-01-01", "2026-01-03", 0),
        ("春节", "2026-02-15", "2026-02-23", 0),
        ("清明节", "2026-04-04", "2026-04-06", 0),
        ("劳动节", "2026-05-01", "2026-05-05", 0),
        ("端午节", "2026-06-19", "2026-06-21", 0),
        ("中秋节", "2026-09-25", "2026-09-27", 0),
        ("国庆节", "2026-10-01", "2026-10-07", 0),
        ("元旦", "2027-01-01", "2027-01-01", 1),
        ("春节", "2027-02-06", "2027-02-06", 1),
        ("清明节", "2027-04-05", "2027-04-05", 1),
        ("劳动节", "2027-05-01", "2027-05-01", 1),
        ("端午节", "2027-06-09", "2027-06-09", 1),
        ("中秋节", "2027-09-15", "2027-09-15", 1),
        ("国庆节", "2027-10-01", "2027-10-07", 1),
    ]
    for name, starts, ends, provisional in holidays:
        row_id = f"holiday-{starts}"
        version = log_change(db, "public_holiday", row_id, at, ["t:holidays"])
        db.execute(
            "INSERT INTO public_holiday (id, name, starts_on, ends_on, provisional, created_at,"
            " updated_at, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [row_id, name, starts, ends, provisional, at, at, version],
        )
        db.execute(
            "INSERT INTO audit_log (at, user_id, action, entity, entity_id, before, after)"
            " VALUES (?, NULL, 'create', 'public_holiday', ?, NULL, ?)",
            [at, row_id, json.dumps({"name": name, "starts_on": starts, "ends_on": ends})],
        )


@migrations()
def m014_blob_holders(db):
    """Who holds which blob, and uploads per (blob, user).

    A blob's hash alone must not give access to it: an attachment shows its blob only when
    the attachment's author holds those bytes (server/scope.py). Every complete blob's
    uploader holds it. A partial upload from before this migration is dropped: it was shared
    by every user who sent that hash, and the device still has the bytes and starts again
    from 0 when HEAD answers 404. The indexes let a download find the attachments naming a
    blob without reading every photo.
    """
    _run(
        db,
        """
        CREATE TABLE blob_holder (
            sha256 TEXT NOT NULL,
            user_id TEXT NOT NULL,
            at TEXT NOT NULL,
            PRIMARY KEY (sha256, user_id)
        ) WITHOUT ROWID;

        CREATE TABLE blob_upload (
            sha256 TEXT NOT NULL,
            user_id TEXT NOT NULL,
            size INTEGER NOT NULL,
            mime TEXT NOT NULL,
            received INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (sha256, user_id)
        ) WITHOUT ROWID;

        INSERT INTO blob_holder (sha256, user_id, at)
            SELECT sha256, user_id, coalesce(completed_at, created_at) FROM blob
            WHERE state = 'complete';
        DELETE FROM blob WHERE state = 'partial';

        CREATE INDEX visit_photo_sha ON visit_photo(sha256);
        CREATE INDEX visit_signature ON visit(signature_sha256) WHERE signature_sha256 IS NOT NULL;
        CREATE INDEX work_order_photo_sha ON work_order_photo(sha256);
        CREATE INDEX inspection_answer_photo ON inspection_answer(photo_sha256)
            WHERE photo_sha256 IS NOT NULL
        """,
    )


@migrations()
def m015_sessions_and_sign_in(db):
    # Web sessions with a server-side identity (logout, password change and disable end
    # them; idle and absolute lifetimes), rotated refresh tokens kept to detect reuse, the
    # per-account sign-in lockout (shared by every worker process), and the admin's
    # "change the password at next sign-in".
    _run(
        db,
        """
        CREATE TABLE web_session (
            id TEXT PRIMARY KEY,
            user_id TEXT NOT NULL REFERENCES app_user(id),
            created_at TEXT NOT NULL,
            last_seen_at TEXT NOT NULL,
            ended_at TEXT,
            ended_reason TEXT,
            ip TEXT,
            user_agent TEXT
        );
        CREATE INDEX web_session_user ON web_session(user_id, ended_at);

        CREATE TABLE api_token_spent (
            refresh_hash TEXT PRIMARY KEY,
            token_id TEXT NOT NULL REFERENCES api_token(id),
            spent_at TEXT NOT NULL
        );
        CREATE INDEX api_token_spent_at ON api_token_spent(spent_at);

        CREATE TABLE sign_in_lockout (
            username TEXT PRIMARY KEY COLLATE NOCASE,
            failures INTEGER NOT NULL,
            locked_until TEXT,
            last_failure_at TEXT NOT NULL
        );

        ALTER TABLE app_user ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0
        """,
    )


@migrations()
def m016_held_allowance(db):
    """Held items per device and hour (sync/conflicts.py counts them before each hold)."""
    db.execute("CREATE INDEX IF NOT EXISTS conflict_client ON conflict(client_id, created_at)")


@migrations()
def m017_held_allowance_per_user(db):
    """Held items per user and hour, across all of the user's devices."""
    db.execute("CREATE INDEX IF NOT EXISTS conflict_user ON conflict(user_id, created_at)")


@migrations()
def m022_sla_by_type(db):
    # SLA clocks by work type (server/work_orders/sla.py): the fault clocks per grade stay in
    # sla_policy; the due times of the other types (on-demand, accompanying and unplanned
    # inspections per grade, rectifications per severity) join the same version sequence in
    # sla_due_policy. A rectification carries its severity. The board's deadline falls back
    # to the completion deadline when an order has no arrival clock (no fault repair), so
    # its index is rebuilt with that expression (same name, so the board still names it).
    _run(
        db,
        """
        CREATE TABLE sla_due_policy (
            id TEXT PRIMARY KEY,
            version INTEGER NOT NULL,
            wo_type TEXT NOT NULL CHECK (wo_type IN
                ('on_demand', 'accompanying', 'inspection', 'rectification')),
            band TEXT NOT NULL,
            due_minutes INTEGER NOT NULL CHECK (due_minutes > 0),
            effective_from TEXT NOT NULL,
            note TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            created_by TEXT,
            UNIQUE (version, wo_type, band)
        );

        ALTER TABLE work_order ADD COLUMN severity TEXT;

        DROP INDEX work_order_board;
        CREATE INDEX work_order_board ON work_order(
            (CASE WHEN status IN ('dispatched', 'accepted', 'en_route', 'on_site')
                AND restore_due_at IS NOT NULL THEN 0
                WHEN status IN ('closed', 'cancelled') THEN 2 ELSE 1 END),
            (CASE WHEN status IN ('dispatched', 'accepted', 'en_route', 'on_site')
                THEN coalesce(CASE WHEN on_site_at IS NULL THEN arrival_due_at END,
                    restore_due_at) END),
            created_at DESC, id DESC,
            status, wo_type, sla_grade, org_id, assigned_org_id, assignee_id, deleted_at
        )
        """,
    )
    # Version 1 of the due times, in minutes from dispatch (our defaults: the operator's
    # documents give no time table). Literal so this migration means the same forever;
    # server/work_orders/sla.py DEFAULT_DUE says the same.
    due = {
        "on_demand": {
            "diamond": 240,
            "gold": 480,
            "silver": 1440,
            "bronze": 2880,
            "standard": 4320,
        },
        "accompanying": {
            "diamond": 1440,
            "gold": 1440,
            "silver": 2880,
            "bronze": 2880,
            "standard": 4320,
        },
        "inspection": {
            "diamond": 4320,
            "gold": 4320,
            "silver": 10080,
            "bronze": 10080,
            "standard": 10080,
        },
        "rectification": {"critical": 1440, "major": 4320, "minor": 10080},
    }
    for wo_type, bands in due.items():
        for band, minutes in bands.items():
            db.execute(
                "INSERT INTO sla_due_policy (id, version, wo_type, band, due_minutes,"
                " effective_from, note, created_at)"
                " VALUES (?, 1, ?, ?, ?, '2000-01-01T00:00:00.000Z', 'our defaults', ?)",
                [f"sla-due-v1-{wo_type}-{band}", wo_type, band, minutes, now_utc()],
            )
    # Technicians' weights version 2 (our defaults), from December 2026: the new indicator
    # order_on_time (due-time orders done on time) takes 10 from the two fault clocks. Only
    # when nobody has edited the weights yet (an admin's versions stay in force); months
    # before keep version 1. server/scores/policy.py TECHNICIAN_V2 says the same.
    import json

    edited = db.execute(
        "SELECT count(*) FROM score_policy WHERE role = 'technician' AND version > 1"
    ).fetchone()[0]
    if not edited:
        weights = {
            "sla_arrival": 15,
            "sla_restore": 15,
            "order_on_time": 10,
            "inspection_completion": 20,
            "first_time_fix": 15,
            "order_review_pass": 15,
            "order_report_timeliness": 10,
        }
        db.execute(
            "INSERT INTO score_policy (id, version, role, weights, effective_from, note,"
            " created_at) VALUES ('score-v2-technician', 2, 'technician', ?, '2026-12-01',"
            " 'our defaults: SLA by work type', ?)",
            [json.dumps(weights), now_utc()],
        )


@migrations()
def m019_field_edits(db):
    """Field users correct their customers and contacts (server/customers/mutations.py):
    per-field clocks for last-writer-wins, the contact's email and notes, the customer's
    notes and the accuracy and device time of the fix its location was set from."""
    _run(
        db,
        """
        ALTER TABLE contact ADD COLUMN email TEXT NOT NULL DEFAULT '';
        ALTER TABLE contact ADD COLUMN notes TEXT NOT NULL DEFAULT '';
        ALTER TABLE contact ADD COLUMN field_clock TEXT NOT NULL DEFAULT '{}';
        ALTER TABLE customer ADD COLUMN notes TEXT NOT NULL DEFAULT '';
        ALTER TABLE customer ADD COLUMN location_accuracy REAL;
        ALTER TABLE customer ADD COLUMN located_at TEXT;
        ALTER TABLE customer ADD COLUMN field_clock TEXT NOT NULL DEFAULT '{}'
        """,
    )


@migrations()
def m021_order_links_precheck(db):
    """An exception report converted into an order (converted_to_id on the report; one
    order at most from one report: the unique index on parent_id for children that are not
    an inspection item's rectification), a contractor supervisor's pre-check of submitted
    work (prechecked_at/_by, cleared by a return), and the review history's two new steps
    'precheck' and 'convert' (SQLite cannot widen a CHECK: the table is rebuilt)."""
    _run(
        db,
        f"""
        ALTER TABLE work_order ADD COLUMN converted_to_id TEXT REFERENCES work_order(id);
        ALTER TABLE work_order ADD COLUMN prechecked_at TEXT;
        ALTER TABLE work_order ADD COLUMN prechecked_by TEXT REFERENCES app_user(id);
        CREATE UNIQUE INDEX work_order_from_report ON work_order(parent_id)
            WHERE parent_id IS NOT NULL AND parent_item_id IS NULL;

        CREATE TABLE review_m021 (
            id TEXT PRIMARY KEY,
            entity TEXT NOT NULL CHECK (entity IN ('visit', 'work_order')),
            entity_id TEXT NOT NULL,
            action TEXT NOT NULL CHECK (action IN
                ('approve', 'return', 'resubmit', 'precheck', 'convert')),
            reason TEXT NOT NULL DEFAULT '',
            reviewer_id TEXT REFERENCES app_user(id),
            at TEXT NOT NULL,
            org_id TEXT NOT NULL REFERENCES org(id),
            deleted_at TEXT,
            {SYNCED}
        );
        INSERT INTO review_m021 SELECT id, entity, entity_id, action, reason, reviewer_id, at,
            org_id, deleted_at, created_at, updated_at, updated_by, version FROM review;
        DROP TABLE review;
        ALTER TABLE review_m021 RENAME TO review;
        CREATE INDEX review_entity ON review(entity, entity_id, at)
        """,
    )


@migrations()
def m020_visit_policy(db):
    # Contact channels (server/visits/contacts_log.py): a visit is on site (GPS check-in) or a
    # remote contact (phone, message) logged without GPS; the contact spoken to, if named.
    # The visit policy (server/visits/policy.py): versioned like score_policy, one row per
    # version holding every class's requirements {class: {on_site|remote: days}}.
    _run(
        db,
        """
        ALTER TABLE visit ADD COLUMN channel TEXT NOT NULL DEFAULT 'on_site'
            CHECK (channel IN ('on_site', 'phone', 'message'));
        ALTER TABLE visit ADD COLUMN contact_id TEXT;

        CREATE TABLE visit_policy (
            id TEXT PRIMARY KEY,
            version INTEGER NOT NULL UNIQUE,
            rules TEXT NOT NULL,
            effective_from TEXT NOT NULL,
            note TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            created_by TEXT
        )
        """,
    )
    # Version 1, literal so this migration means the same thing forever (our defaults;
    # server/visits/policy.py DEFAULTS says the same): A on site weekly, B monthly, C a call
    # monthly and on site quarterly.
    import json

    rules = {"A": {"on_site": 7}, "B": {"on_site": 30}, "C": {"remote": 30, "on_site": 90}}
    db.execute(
        "INSERT INTO visit_policy (id, version, rules, effective_from, note, created_at)"
        " VALUES ('visit-policy-v1', 1, ?, '2000-01-01', 'defaults', ?)",
        [json.dumps(rules), now_utc()],
    )


@migrations()
def m018_follow_up_done(db):
    """Closing follow-ups (follow_up.done) and reopening them (supervisors, with a reason):
    the device's time of the close as evidence, who closed it and their note; who reopened
    it, when and why. The open ones are listed by due day."""
    _run(
        db,
        """
        ALTER TABLE follow_up ADD COLUMN done_device_at TEXT;
        ALTER TABLE follow_up ADD COLUMN done_by TEXT REFERENCES app_user(id);
        ALTER TABLE follow_up ADD COLUMN done_note TEXT NOT NULL DEFAULT '';
        ALTER TABLE follow_up ADD COLUMN reopened_at TEXT;
        ALTER TABLE follow_up ADD COLUMN reopened_by TEXT REFERENCES app_user(id);
        ALTER TABLE follow_up ADD COLUMN reopen_reason TEXT NOT NULL DEFAULT '';
        CREATE INDEX follow_up_open ON follow_up(due_date)
            WHERE done_at IS NULL AND deleted_at IS NULL
        """,
    )


@migrations(transactional=False)
def m023_class_policy(db):
    """The class rule as the documents state it (server/customers/class_policy.py): a
    versioned policy of handset and spend thresholds, and a fourth computed class,
    'unclassified' (10 handsets or fewer, no other criterion).

    SQLite cannot alter a CHECK, so `customer` is rebuilt from its own stored schema (every
    column any migration added stays, in order), its rows copied, its indexes and triggers
    recreated; tables pointing at it keep pointing at it. The rebuild needs foreign keys off
    (dropping a parent would count every child as a violation), which SQLite allows only
    outside a transaction: so this migration opens its own, checks the foreign keys before
    committing, and is safe to run again if it was interrupted before being recorded.
    """
    import json

    if db.conn.in_transaction:
        raise RuntimeError("m023_class_policy must run outside a transaction")
    db.execute("PRAGMA foreign_keys = OFF")
    try:
        db.execute("BEGIN IMMEDIATE")
        try:
            _m023_policy(db, json)
            _m023_rebuild_customer(db)
            if db.execute("PRAGMA foreign_key_check").fetchall():
                raise RuntimeError("foreign keys broken by the customer rebuild")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
    finally:
        db.execute("PRAGMA foreign_keys = ON")


def _m023_policy(db, json) -> None:
    db.execute(
        """
        CREATE TABLE IF NOT EXISTS class_policy (
            id TEXT PRIMARY KEY,
            version INTEGER NOT NULL UNIQUE,
            rules TEXT NOT NULL,
            effective_from TEXT NOT NULL,
            note TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            created_by TEXT
        )
        """
    )
    # Version 1: literal here so this migration means the same thing forever (the handset
    # thresholds are the documents'; the spend thresholds, yuan a year, are our defaults).
    rules = {
        "a_handsets": 500,
        "b_handsets": 100,
        "c_handsets": 11,
        "a_spend": 1_000_000,
        "b_spend": 300_000,
        "c_spend": 30_000,
        "spend_months": 12,
    }
    db.execute(
        "INSERT OR IGNORE INTO class_policy (id, version, rules, effective_from, note,"
        " created_at) VALUES ('class-v1', 1, ?, '2000-01-01', 'defaults', ?)",
        [json.dumps(rules), now_utc()],
    )


def _m023_rebuild_customer(db) -> None:
    table_sql = db.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'customer'"
    ).fetchone()[0]
    if "'unclassified'" in table_sql:
        return  # rebuilt already (an earlier run stopped before it was recorded)
    new_sql = table_sql
    for column in ("computed_class", "customer_class"):
        old = f"CHECK ({column} IN ('A', 'B', 'C'))"
        if new_sql.count(old) != 1:
            raise RuntimeError(f"customer.{column}: unexpected CHECK in {table_sql!r}")
        new_sql = new_sql.replace(old, f"CHECK ({column} IN ('A', 'B', 'C', 'unclassified'))")
    new_sql = "CREATE TABLE customer_m023 " + new_sql[new_sql.index("(") :]
    keep = [
        r[0]
        for r in db.execute(
            "SELECT sql FROM sqlite_master WHERE type IN ('index', 'trigger')"
            " AND tbl_name = 'customer' AND sql IS NOT NULL"
        )
    ]
    count = db.execute("SELECT count(*) FROM customer").fetchone()[0]
    db.execute(new_sql)
    db.execute("INSERT INTO customer_m023 SELECT * FROM customer")
    db.execute("DROP TABLE customer")
    db.execute("ALTER TABLE customer_m023 RENAME TO customer")
    for sql in keep:
        db.execute(sql)
    if db.execute("SELECT count(*) FROM customer").fetchone()[0] != count:
        raise RuntimeError("customer rows lost in the rebuild")


@migrations()
def m024_score_indexes(db):
    """Covering indexes for the monthly indicators (bench/README.md, "scores"): each starts
    with the date an indicator walks its month by and carries every column it reads, so a
    pass reads one contiguous index range instead of scattered table rows. They replace the
    one-column indexes with the same leading columns. (Literal here, so this migration means
    the same thing forever; server/scores/indexes.py explains each.) work_order_site stays:
    the dispatch board names it (INDEXED BY)."""
    _run(
        db,
        """
        CREATE INDEX IF NOT EXISTS visit_scores_check_in ON visit(check_in_at, deleted_at,
            status, account_manager_id, id, satisfaction, check_out_at, check_out_device_at);
        CREATE INDEX IF NOT EXISTS visit_scores_planned ON visit(planned_date, deleted_at,
            status, account_manager_id, id);
        CREATE INDEX IF NOT EXISTS work_order_scores_arrival ON work_order(arrival_due_at,
            deleted_at, wo_type, status, on_site_at, assignee_id, assigned_org_id, id);
        CREATE INDEX IF NOT EXISTS work_order_scores_restore ON work_order(restore_due_at,
            deleted_at, wo_type, status, resolved_at, assignee_id, assigned_org_id, id);
        CREATE INDEX IF NOT EXISTS work_order_scores_resolved ON work_order(resolved_at,
            deleted_at, wo_type, status, assignee_id, assigned_org_id, id, site_id,
            submitted_at);
        CREATE INDEX IF NOT EXISTS work_order_scores_repeat ON work_order(site_id, created_at,
            wo_type, status, deleted_at, id);
        DROP INDEX IF EXISTS visit_planned;
        DROP INDEX IF EXISTS work_order_arrival_due;
        DROP INDEX IF EXISTS work_order_restore_due;
        DROP INDEX IF EXISTS work_order_resolved
        """,
    )


@migrations()
def m025_job_run_and_lease(db):
    """The jobs process (server/jobs): `job_lease` names which scheduler may run jobs and
    until when (a second one stays idle until the lease expires); `job_run` records every
    run of every job with its outcome, counts (JSON) and error."""
    _run(
        db,
        """
        CREATE TABLE job_lease (
            name TEXT PRIMARY KEY,
            holder TEXT NOT NULL,
            expires_at TEXT NOT NULL
        );
        CREATE TABLE job_run (
            id INTEGER PRIMARY KEY,
            job TEXT NOT NULL,
            holder TEXT NOT NULL,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            outcome TEXT CHECK (outcome IN ('ok', 'failed', 'timeout', 'skipped')),
            counts TEXT NOT NULL DEFAULT '{}',
            error TEXT
        );
        CREATE INDEX job_run_job_started ON job_run(job, started_at)
        """,
    )


@migrations()
def m026_complaints(db):
    # Complaints (投诉, server/complaints): the complaint, scoped like its customer (org and
    # account manager as recorded) and by its owner; its append-only steps (who moved it from
    # which status to which, when and why, on the review history pattern); the versioned
    # complaint policy (categories, time limits by severity and service grade, working hours);
    # and the make-up working days (调休) that the business calendar adds to the public
    # holidays of public_holiday. The call centre's ticket id is unique, for a later import.
    _run(
        db,
        """
        CREATE TABLE complaint (
            id TEXT PRIMARY KEY,
            customer_id TEXT NOT NULL REFERENCES customer(id),
            org_id TEXT NOT NULL REFERENCES org(id),
            account_manager_id TEXT REFERENCES app_user(id),
            owner_id TEXT REFERENCES app_user(id),
            recorded_by TEXT REFERENCES app_user(id),
            channel TEXT NOT NULL CHECK (channel IN
                ('hotline_transfer', 'visit', 'letter', 'app', 'other')),
            category TEXT NOT NULL DEFAULT 'other',
            severity TEXT NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
            words TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'received' CHECK (status IN ('received', 'classified',
                'investigating', 'waiting_for_customer', 'handled', 'feedback_given',
                'archived')),
            paused_from TEXT,
            received_at TEXT NOT NULL,
            received_device_at TEXT,
            policy_version INTEGER NOT NULL DEFAULT 0,
            handling TEXT NOT NULL DEFAULT '',
            feedback_how TEXT CHECK (feedback_how IN ('phone', 'visit', 'message', 'letter')),
            feedback_reaction TEXT CHECK (feedback_reaction IN
                ('satisfied', 'accepted', 'dissatisfied')),
            feedback_note TEXT NOT NULL DEFAULT '',
            visit_id TEXT REFERENCES visit(id),
            work_order_ids TEXT NOT NULL DEFAULT '[]',
            external_ticket_id TEXT UNIQUE,
            field_clock TEXT NOT NULL DEFAULT '{}',
            deleted_at TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            updated_by TEXT,
            version INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX complaint_org ON complaint(org_id, received_at);
        CREATE INDEX complaint_am ON complaint(account_manager_id, received_at);
        CREATE INDEX complaint_owner ON complaint(owner_id, received_at);
        CREATE INDEX complaint_customer ON complaint(customer_id);

        CREATE TABLE complaint_step (
            id TEXT PRIMARY KEY,
            complaint_id TEXT NOT NULL REFERENCES complaint(id),
            org_id TEXT NOT NULL REFERENCES org(id),
            action TEXT NOT NULL,
            from_status TEXT,
            to_status TEXT NOT NULL,
            reason TEXT NOT NULL DEFAULT '',
            detail TEXT NOT NULL DEFAULT '{}',
            actor_id TEXT REFERENCES app_user(id),
            at TEXT NOT NULL,
            deleted_at TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            updated_by TEXT,
            version INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX complaint_step_complaint ON complaint_step(complaint_id, at);

        CREATE TABLE complaint_policy (
            id TEXT PRIMARY KEY,
            version INTEGER NOT NULL UNIQUE,
            rules TEXT NOT NULL,
            effective_from TEXT NOT NULL,
            note TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            created_by TEXT
        );

        CREATE TABLE makeup_workday (
            day TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            created_at TEXT NOT NULL
        )
        """,
    )
    # The 2026 make-up working days (调休) of the State Council's holiday notice, as we read
    # it; the table is ours to edit (docs/complaints.md). Literal: this migration means the
    # same thing forever.
    at = now_utc()
    for day, name in (
        ("2026-01-04", "元旦调休"),
        ("2026-02-14", "春节调休"),
        ("2026-02-28", "春节调休"),
        ("2026-05-09", "劳动节调休"),
        ("2026-09-20", "国庆节调休"),
        ("2026-10-10", "国庆节调休"),
    ):
        db.execute(
            "INSERT INTO makeup_workday (day, name, created_at) VALUES (?, ?, ?)", [day, name, at]
        )
