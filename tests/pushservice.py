"""A push service stand-in on loopback (tests and bench only).

It plays the browser vendor's push service: each subscription it hands out has a real
P-256 key pair and auth secret (as a browser makes them), and every message it receives is
decrypted with the subscription's private key (RFC 8291, aes128gcm, with http_ece), its
VAPID token verified (RFC 8292: ES256 over the claims, with the key in the header) and its
TTL recorded. Endpoints can be told to answer 410, hang, or fail a few times first.
"""

import base64
import json
import os
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from server.push import subscriptions


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Endpoint:
    token: str
    private_key: object
    auth: bytes
    mode: str = "ok"  # ok | gone (410) | missing (404) | hang
    failures: list = field(default_factory=list)  # statuses to answer first (flaky)

    def subscription(self, base: str) -> dict:
        """The JSON a browser's PushSubscription.toJSON() gives."""
        point = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {
            "endpoint": f"{base}/push/{self.token}",
            "keys": {"p256dh": b64url(point), "auth": b64url(self.auth)},
        }


def verify_vapid(header: str, audience: str) -> dict:
    """Check an `Authorization: vapid t=<jwt>,k=<key>` header; return claims and key.

    Raises ValueError when the signature, the audience or the expiry is wrong.
    """
    scheme, _, rest = header.partition(" ")
    if scheme.lower() != "vapid":
        raise ValueError(f"scheme {scheme!r}")
    parts = dict(p.strip().split("=", 1) for p in rest.split(","))
    token, key = parts["t"], parts["k"]
    signing_input, _, signature = token.rpartition(".")
    raw = unb64url(signature)
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(key))
    try:
        public.verify(der, signing_input.encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature as exc:
        raise ValueError("bad signature") from exc
    claims = json.loads(unb64url(signing_input.split(".")[1]))
    if claims.get("aud") != audience:
        raise ValueError(f"aud {claims.get('aud')!r} is not {audience!r}")
    if int(claims.get("exp", 0)) <= time.time() or int(claims["exp"]) > time.time() + 86400:
        raise ValueError("exp out of range")
    if not str(claims.get("sub", "")).startswith(("mailto:", "https:")):
        raise ValueError("sub missing")
    return {"claims": claims, "key": key}


class PushService:
    """The stand-in server: start(), new_endpoint(), messages, stop()."""

    def __init__(self, verify: bool = True):
        self.verify = verify
        self.endpoints: dict[str, Endpoint] = {}
        self.messages: list[dict] = []
        self.lock = threading.Lock()
        self.released = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def start(self) -> "PushService":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def new_endpoint(self, mode: str = "ok", failures=()) -> Endpoint:
        endpoint = Endpoint(
            token=b64url(os.urandom(12)),
            private_key=ec.generate_private_key(ec.SECP256R1()),
            auth=os.urandom(16),
            mode=mode,
            failures=list(failures),
        )
        self.endpoints[endpoint.token] = endpoint
        return endpoint

    def received(self, token: str | None = None) -> list[dict]:
        with self.lock:
            return [m for m in self.messages if token is None or m["token"] == token]

    def _handle(self, token: str, headers, body: bytes) -> int:
        endpoint = self.endpoints.get(token)
        if endpoint is None and not self.verify:  # the bench's service in its own process
            with self.lock:
                self.messages.append({"token": token, "ttl": headers.get("TTL")})
            return 201
        if endpoint is None or endpoint.mode == "missing":
            return 404
        if endpoint.mode == "gone":
            return 410
        if endpoint.mode == "hang":
            self.released.wait(30)
            return 201
        if endpoint.failures:
            return endpoint.failures.pop(0)
        message = {
            "token": token,
            "ttl": headers.get("TTL"),
            "at": time.time(),
            "encoding": headers.get("Content-Encoding"),
        }
        if self.verify:
            message |= verify_vapid(headers.get("Authorization", ""), self.base)
            plain = http_ece.decrypt(
                body,
                private_key=endpoint.private_key,
                auth_secret=endpoint.auth,
                version="aes128gcm",
            )
            message["payload"] = json.loads(plain)
        with self.lock:
            self.messages.append(message)
        return 201

    def _handler(self):
        service = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as real push services do

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                token = self.path.rsplit("/", 1)[-1]
                try:
                    status = service._handle(token, self.headers, body)
                except Exception as exc:  # a bad message: the test sees it in the log
                    with service.lock:
                        service.messages.append({"token": token, "error": repr(exc)})
                    status = 400
                try:
                    self.send_response(status)
                    if status == 429:
                        self.send_header("Retry-After", "0")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:
                    pass  # the sender gave up waiting (the hang test)

            def do_GET(self):
                body = str(len(service.received())).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        return Handler


def serve_in_process():
    """Run a non-verifying service until stdin closes (bench: its CPU off the sender's)."""
    import sys

    with PushService(verify=False) as service:
        print(service.base, flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    serve_in_process()


NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai: no quiet hours


def subscribe(db, user, service, **mode) -> tuple:
    """Save a subscription of user's to a new endpoint of service: (endpoint, saved row)."""
    endpoint = service.new_endpoint(**mode)
    body = endpoint.subscription(service.base) | {"device_name": "测试手机"}
    clean, errors = subscriptions.validate(body)
    assert errors == {}
    return endpoint, subscriptions.save(db, user["id"], None, clean)
