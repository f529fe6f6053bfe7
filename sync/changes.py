"""The change log: one row per write, its seq the pull cursor and the row's version.

Written in the same transaction as the row it describes. SQLite has one writer at a time
(WAL), so seqs commit in order and a reader's snapshot always sees a prefix: a cursor can
never skip a change that commits later with a smaller seq.

`change_key` indexes the log by scope key ("u:<user id>", "o:<org id>" …): a device pulls
only the changes whose keys meet its own, so it neither scans the whole province's log nor
learns the ids of rows it may not see.
"""


def log_change(db, entity: str, entity_id: str, at: str, keys=()) -> int:
    """Append a change and return its seq (use it as the row's new version).

    `keys` name who may care about the change (see `change_key`): the scope keys of the row
    before and after the write, so a device whose scope the row leaves still hears of it.
    """
    cur = db.execute(
        "INSERT INTO change_log (entity, entity_id, at) VALUES (?, ?, ?)", [entity, entity_id, at]
    )
    if keys:
        db.conn.executemany(
            "INSERT OR IGNORE INTO change_key (key, seq) VALUES (?, ?)",
            [(key, cur.lastrowid) for key in set(keys)],
        )
    return cur.lastrowid


def current_epoch(db) -> str:
    """The server epoch: changes when the database is restored from a backup."""
    row = db.execute("SELECT value FROM meta WHERE key = 'server_epoch'").fetchone()
    return row[0]
