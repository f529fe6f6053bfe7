"""Tables the sync protocol owns. The server's migrations call `create_tables` once."""

TABLES = """
CREATE TABLE sync_client (
    client_id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    last_mutation_id INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    last_push_at TEXT,
    last_pull_at TEXT,
    app_version TEXT,
    schema_version INTEGER,
    unsynced_count INTEGER,
    oldest_unsynced_at TEXT,
    storage_used INTEGER,
    storage_quota INTEGER,
    clock_offset_ms INTEGER
);
CREATE INDEX sync_client_user ON sync_client(user_id);

CREATE TABLE mutation_log (
    client_id TEXT NOT NULL,
    mutation_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    args_hash TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('applied', 'rejected', 'held')),
    result TEXT,
    device_time TEXT,
    at TEXT NOT NULL,
    PRIMARY KEY (client_id, mutation_id)
);

CREATE TABLE conflict (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('field', 'late_edit')),
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    field TEXT,
    server_value TEXT,
    client_value TEXT,
    mutation_name TEXT NOT NULL,
    args TEXT NOT NULL,
    client_id TEXT NOT NULL,
    mutation_id INTEGER NOT NULL,
    user_id TEXT NOT NULL,
    base_version INTEGER,
    reason TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
    resolution TEXT,
    resolved_by TEXT,
    resolved_at TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX conflict_entity ON conflict(entity, entity_id);
CREATE INDEX conflict_open ON conflict(status, created_at);

CREATE TABLE change_key (
    key TEXT NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (key, seq)
) WITHOUT ROWID;

CREATE TABLE blob (
    sha256 TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    mime TEXT NOT NULL,
    received INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL CHECK (state IN ('partial', 'complete')),
    user_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    completed_at TEXT
)
"""


def create_tables(db) -> None:
    """Create the sync tables (inside the caller's transaction)."""
    for statement in TABLES.split(";"):
        if statement.strip():
            db.execute(statement)
