"""A keep-alive HTTP client for the benches: JSON for devices, forms and cookies for pages.

A reused keep-alive connection the server already closed fails before the request reached
the app; that is retried once at once on a new connection, as browsers and urllib3 do. A
failure on a fresh connection is a dropped connection: the caller sees `Dropped`.
"""

import gzip
import http.client
import json
import math
import re
import socket
import time
import urllib.parse
from html.parser import HTMLParser
from http.cookies import SimpleCookie

NETWORK_ERRORS = (http.client.HTTPException, ConnectionError, socket.timeout, OSError)


class Dropped(Exception):
    """The connection failed before an answer arrived (reset, closed, timed out)."""


class Answer:
    """One HTTP answer: status, headers, body bytes (decoded), seconds from send to last byte."""

    def __init__(self, status, headers, body: bytes, seconds: float):
        self.status, self.headers, self.body, self.seconds = status, headers, body, seconds

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    @property
    def text(self) -> str:
        return self.body.decode(errors="replace")

    def retry_after(self, default: float) -> float:
        try:
            return float(self.headers.get("Retry-After", default))
        except ValueError:
            return default


class Http:
    """One connection to 127.0.0.1:port, reopened when needed; keeps cookies."""

    # 503 answers without Retry-After, over all connections: the documented busy answer
    # always has one, so any here is an undocumented 503.
    no_retry_after: list[str] = []

    def __init__(self, port: int, timeout: float = 120):
        self.port, self.timeout = port, timeout
        self.conn, self.used = None, False
        self.cookies: dict[str, str] = {}
        self.token = None
        self.reconnects = 0

    def _open(self):
        self.close()
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        self.used = False

    def close(self):
        if self.conn is not None:
            self.conn.close()
        self.conn = None

    def request(self, method: str, path: str, body: bytes | None = None, headers=None) -> Answer:
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        for attempt in (1, 2):
            if self.conn is None:
                self._open()
            reused = self.used
            started = time.perf_counter()
            try:
                self.conn.request(method, path, body, headers)
                resp = self.conn.getresponse()
                data = resp.read()
            except NETWORK_ERRORS as exc:
                self.close()
                if reused and attempt == 1 and not isinstance(exc, socket.timeout):
                    self.reconnects += 1  # a stale keep-alive connection: the app never saw it
                    continue
                raise Dropped(f"{type(exc).__name__}: {exc}") from exc
            seconds = time.perf_counter() - started
            if resp.status == 503 and not resp.getheader("Retry-After"):
                Http.no_retry_after.append(f"{method} {path}")  # list.append is atomic
            self.used = True
            if resp.getheader("Connection", "").lower() == "close" or resp.will_close:
                self.close()
            for value in resp.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(value).items():
                    self.cookies[name] = morsel.value
            if resp.getheader("Content-Encoding") == "gzip":
                data = gzip.decompress(data)
            return Answer(resp.status, resp.headers, data, seconds)
        raise AssertionError("unreachable")

    def post_json(self, path: str, obj) -> Answer:
        payload = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()
        return self.request("POST", path, payload, {"Content-Type": "application/json"})

    def get(self, path: str) -> Answer:
        return self.request("GET", path)

    def post_form(self, path: str, fields) -> Answer:
        payload = urllib.parse.urlencode(fields).encode()
        ctype = "application/x-www-form-urlencoded"
        return self.request("POST", path, payload, {"Content-Type": ctype})


class _Forms(HTMLParser):
    """Every <form>'s action and the fields a browser would submit (no buttons)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._select = self._textarea = None
        self._in_form = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"action": a.get("action", ""), "fields": []})
            self._in_form = True
            return
        if not self._in_form:
            return
        fields = self.forms[-1]["fields"]
        if tag == "input" and a.get("name"):
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if kind not in ("submit", "button", "image", "file"):
                fields.append([a["name"], a.get("value") or ""])
        elif tag == "select" and a.get("name"):
            self._select = [a["name"], None]  # no option marked selected: the first one
            fields.append(self._select)
        elif tag == "option" and self._select is not None:
            if "selected" in a or self._select[1] is None:
                self._select[1] = a.get("value", "")
        elif tag == "textarea" and a.get("name"):
            self._textarea = [a["name"], ""]
            fields.append(self._textarea)

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_form = False
        elif tag == "select":
            if self._select is not None and self._select[1] is None:
                self._select[1] = ""
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data


def forms(html: str) -> list[dict]:
    """The page's forms: [{action, fields: [[name, value], ...]}]."""
    parser = _Forms()
    parser.feed(html)
    return parser.forms


def form_with_action(html: str, pattern: str) -> dict | None:
    """The first form whose action matches the regular expression."""
    return next((f for f in forms(html) if re.search(pattern, f["action"])), None)


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]
