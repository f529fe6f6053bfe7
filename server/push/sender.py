"""Sending with pywebpush: VAPID-signed, encrypted (aes128gcm), retried on 429 and 5xx.

Network work only: the reminder engine prepares payloads and records each outcome in the
database from its own thread as soon as it comes back; these functions never touch the
database. One subscription's fault (bad keys, a refused address, a library error) is an
outcome of that subscription alone, never an exception out of the run.
"""

import itertools
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass

import requests
from pywebpush import WebPushException, webpush

from . import endpoints

# What last_error may say (shown to the device's user): a fixed word or the HTTP status,
# never an exception's name or text, so the device list cannot tell a refused port from a
# closed one (docs/push.md).
UNREACHABLE = "unreachable"
INVALID = "invalid subscription"


@dataclass(frozen=True)
class Settings:
    """How to send: from PUSH_* settings (see docs/push.md)."""

    vapid: object
    subject: str
    ttl: int = 86400
    timeout: float = 10.0
    retries: int = 2
    backoff: float = 1.0
    max_delay: float = 10.0
    workers: int = 8
    proxy: str | None = None
    hosts: tuple = ()
    allow_private: bool = False

    @classmethod
    def from_config(cls, config, vapid) -> "Settings":
        return cls(
            vapid=vapid,
            subject=config["PUSH_VAPID_SUBJECT"],
            ttl=int(config["PUSH_TTL_SECONDS"]),
            timeout=float(config["PUSH_TIMEOUT_SECONDS"]),
            retries=int(config["PUSH_RETRIES"]),
            backoff=float(config["PUSH_RETRY_BACKOFF_SECONDS"]),
            max_delay=float(config["PUSH_RETRY_MAX_DELAY_SECONDS"]),
            workers=int(config["PUSH_SEND_WORKERS"]),
            proxy=config.get("PUSH_PROXY") or None,
            hosts=tuple(config["PUSH_ENDPOINT_HOSTS"]),
            allow_private=bool(config.get("PUSH_ALLOW_PRIVATE_ADDRESSES")),
        )


@dataclass(frozen=True)
class Outcome:
    """sent; gone (404/410: delete the subscription); retry (later run); failed (for good)."""

    result: str
    status: int | None = None
    error: str = ""


def _retry_delay(settings: Settings, response, attempt: int) -> float:
    raw = response.headers.get("Retry-After", "") if response is not None else ""
    raw = raw.strip()
    # ASCII digits only: str.isdigit() takes '²', which float() refuses.
    delay = float(raw) if raw.isascii() and raw.isdigit() else settings.backoff * 2**attempt
    return min(delay, settings.max_delay)


def send_one(settings: Settings, subscription: dict, payload: bytes, session) -> Outcome:
    """Push one message to one subscription; never raises for that subscription's faults.

    The endpoint is checked again (rows stored before a rule existed), then sent, retrying
    429 and 5xx with back-off in this call."""
    endpoint = subscription["endpoint"]
    if endpoints.check(endpoint, settings.hosts, settings.allow_private):
        return Outcome("failed", None, INVALID)
    if settings.proxy and not settings.allow_private:
        if not endpoints.check_resolves_public(endpoint):
            return Outcome("retry", None, UNREACHABLE)
    try:
        return _send(settings, subscription, payload, session)
    except (ValueError, TypeError, WebPushException):  # keys pywebpush cannot use
        return Outcome("failed", None, INVALID)
    except requests.RequestException:  # timeout, refused, a private address: a later run
        return Outcome("retry", None, UNREACHABLE)
    except Exception:  # any other fault of this one send stays this subscription's
        return Outcome("retry", None, UNREACHABLE)


def _send(settings: Settings, subscription: dict, payload: bytes, session) -> Outcome:
    info = {
        "endpoint": subscription["endpoint"],
        "keys": {"p256dh": subscription["p256dh"], "auth": subscription["auth"]},
    }
    for attempt in range(settings.retries + 1):
        try:
            webpush(
                subscription_info=info,
                data=payload,
                vapid_private_key=settings.vapid,
                # pywebpush writes aud and exp into the dict it is given: a shared dict
                # would carry the first push service's audience to every other one.
                vapid_claims={"sub": settings.subject},
                ttl=settings.ttl,
                timeout=settings.timeout,
                requests_session=session,
            )
            return Outcome("sent", 201)
        except WebPushException as exc:
            response = exc.response
            if response is None:
                raise
            status = response.status_code
            if status in (404, 410):
                return Outcome("gone", status)
            # Only the status: the response body is whatever the endpoint's server said,
            # and the user who registered the endpoint reads last_error on their devices.
            if not (status == 429 or status >= 500):
                return Outcome("failed", status, f"HTTP {status}")
            if attempt == settings.retries:
                return Outcome("retry", status, f"HTTP {status}")
            time.sleep(_retry_delay(settings, response, attempt))
    return Outcome("retry", None, "retries exhausted")  # pragma: no cover


def _session(settings: Settings) -> requests.Session:
    session = requests.Session()
    # Proxies from PUSH_PROXY only: reading them from the environment on every request was
    # a fifth of the sending time.
    session.trust_env = False
    if settings.proxy:
        session.proxies = {"http": settings.proxy, "https": settings.proxy}
    elif not settings.allow_private:
        adapter = endpoints.PublicOnlyAdapter()
        session.mount("https://", adapter)
        session.mount("http://", adapter)
    return session


def send_all(settings: Settings, jobs: list[tuple], on_outcomes=None) -> list[Outcome]:
    """Send (subscription, payload) jobs on a few threads, each with its own HTTP session,
    calling on_outcomes([(index, outcome), ...]) in this thread with the ones that came back
    since the last call (one, or a few when several finished together).

    At most `workers` sends are in flight, and a job is started only after the outcome of
    the one before it on that thread was handed over: a run killed mid-batch has recorded
    everything delivered except those in flight. A push service that hangs holds one thread
    for the timeout, not the run.
    """
    outcomes: list = [None] * len(jobs)
    if not jobs:
        return outcomes
    local, sessions, lock = threading.local(), [], threading.Lock()

    def send(i):
        if not hasattr(local, "session"):
            local.session = _session(settings)
            with lock:
                sessions.append(local.session)
        subscription, payload = jobs[i]
        return i, send_one(settings, subscription, payload, local.session)

    workers = max(1, min(settings.workers, len(jobs)))
    waiting = iter(range(len(jobs)))
    try:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            flying = {pool.submit(send, i) for i in itertools.islice(waiting, workers)}
            while flying:
                done, flying = wait(flying, return_when=FIRST_COMPLETED)
                back = [future.result() for future in done]
                for i, outcome in back:
                    outcomes[i] = outcome
                if on_outcomes is not None:
                    on_outcomes(back)
                for following in itertools.islice(waiting, len(back)):
                    flying.add(pool.submit(send, following))
    finally:
        for session in sessions:
            session.close()
    return outcomes
