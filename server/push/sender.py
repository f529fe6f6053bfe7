"""Sending with pywebpush: VAPID-signed, encrypted (aes128gcm), retried on 429 and 5xx.

Network work only: the reminder engine prepares payloads and records outcomes in the
database from its own thread; these functions never touch the database.
"""

import queue
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import requests
from pywebpush import WebPushException, webpush


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
        )


@dataclass(frozen=True)
class Outcome:
    """sent; gone (404/410: delete the subscription); retry (later run); failed (for good)."""

    result: str
    status: int | None = None
    error: str = ""


def _retry_delay(settings: Settings, response, attempt: int) -> float:
    raw = response.headers.get("Retry-After", "") if response is not None else ""
    delay = float(raw) if raw.strip().isdigit() else settings.backoff * 2**attempt
    return min(delay, settings.max_delay)


def send_one(settings: Settings, subscription: dict, payload: bytes, session) -> Outcome:
    """Push one message to one subscription; retry 429 and 5xx with back-off, in this call."""
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
            status = response.status_code if response is not None else None
            if status in (404, 410):
                return Outcome("gone", status)
            if status is None or not (status == 429 or status >= 500):
                # Only the status: the response body is whatever the endpoint's server said,
                # and the user who registered the endpoint reads last_error on their devices.
                error = f"HTTP {status}" if status is not None else str(exc)[:200]
                return Outcome("failed", status, error)
            if attempt == settings.retries:
                return Outcome("retry", status, f"HTTP {status}")
            time.sleep(_retry_delay(settings, response, attempt))
        except requests.RequestException as exc:  # timeout, refused: try on a later run
            return Outcome("retry", None, type(exc).__name__)
    return Outcome("retry", None, "retries exhausted")  # pragma: no cover


def send_all(settings: Settings, jobs: list[tuple]) -> list[Outcome]:
    """Send (subscription, payload) jobs on a few threads, each with its own HTTP session.

    A push service that hangs holds one thread for the timeout, not the run.
    """
    if not jobs:
        return []
    workers = max(1, min(settings.workers, len(jobs)))
    todo: queue.SimpleQueue = queue.SimpleQueue()
    for i in range(len(jobs)):
        todo.put(i)
    outcomes: list = [None] * len(jobs)

    def work():
        with requests.Session() as session:
            # Proxies from PUSH_PROXY only: reading them from the environment on every
            # request was a fifth of the sending time.
            session.trust_env = False
            if settings.proxy:
                session.proxies = {"http": settings.proxy, "https": settings.proxy}
            while True:
                try:
                    i = todo.get_nowait()
                except queue.Empty:
                    return
                subscription, payload = jobs[i]
                outcomes[i] = send_one(settings, subscription, payload, session)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        for future in [pool.submit(work) for _ in range(workers)]:
            future.result()
    return outcomes
