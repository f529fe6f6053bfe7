"""The worker process side of one job run (runner.py starts it): build the app from the
scheduler's settings, open a connection of its own (none crosses a fork), run the task,
send back (outcome, counts, error) through the pipe."""

import importlib
import logging
import os
import traceback

log = logging.getLogger(__name__)


def main(task: str, config: dict, now, writer) -> None:
    """Run `task` ("module:function") at `now`; report through `writer`."""
    os.setpgrp()  # its own process group: a time limit kills the job and its helpers together
    from .. import create_app
    from ..db import connect
    from .tasks import Context, Skipped

    try:
        module, _, name = task.partition(":")
        function = getattr(importlib.import_module(module), name)
        app = create_app(config)
        db = connect(config["DATABASE"], config["DATABASE_BUSY_TIMEOUT_MS"])
        try:
            with app.app_context():
                counts = function(Context(app, db, now)) or {}
        finally:
            db.conn.close()
        result = ("ok", counts, None)
    except Skipped as exc:
        result = ("skipped", {}, str(exc))
    except BaseException as exc:  # a job's SystemExit or KeyboardInterrupt is its failure too
        log.error("job %s failed\n%s", task, traceback.format_exc())
        result = ("failed", {}, "".join(traceback.format_exception_only(exc)).strip())
    try:
        writer.send(result)
    except Exception as exc:  # counts that do not pickle
        writer.send(("failed", {}, f"the job's counts could not be sent back: {exc!r}"))
    writer.close()
