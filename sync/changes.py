"""The change log: one row per write, its seq the pull cursor and the row's version.

Written in the same transaction as the row it describes. SQLite has one writer at a time
(WAL), so seqs commit in order and a reader's snapshot always sees a prefix: a cursor can
never skip a change that commits later with a smaller seq.
"""


def log_change(db, entity: str, entity_id: str, at: str) -> int:
    """Append a change and return its seq (use it as the row's new version)."""
    cur = db.execute(
        "INSERT INTO change_log (entity, entity_id, at) VALUES (?, ?, ?)", [entity, entity_id, at]
    )
    return cur.lastrowid


def current_epoch(db) -> str:
    """The server epoch: changes when the database is restored from a backup."""
    row = db.execute("SELECT value FROM meta WHERE key = 'server_epoch'").fetchone()
    return row[0]
