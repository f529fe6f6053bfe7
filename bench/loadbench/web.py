"""A supervisor at the web pages: signs in through the login form, then posts the pages' own
forms (the fields a browser would send, CSRF token included) as plain form posts.

Each write first GETs the page the form is on (counted as `web_read`), then POSTs the form
(`web_write`, and `web_write:<kind>`). A write succeeded when it answered 303 to the record's
page (a form error or a refused step answers 4xx and the page again).
"""

import itertools
import threading
from collections import deque

from .client import Dropped, Http, form_with_action, forms
from .world import PASSWORD

READ, WRITE = "web_read", "web_write"
KINDS = (
    "contact_add",
    "customer_edit",
    "order_assign",
    "order_cancel",
    "visit_approve",
    "visit_return",
)


class Targets:
    """What the supervisors act on: customers, open orders, visits devices completed."""

    def __init__(self, customers: list[dict], orders: list[dict], technicians: list[dict]):
        self.lock = threading.Lock()
        self.customers = itertools.cycle(customers)
        self.assignable = itertools.cycle(orders[: len(orders) // 2])
        self.cancellable = deque(orders[len(orders) // 2 :])
        self.technicians = [t["id"] for t in technicians]
        self.completed: deque[str] = deque()
        self.n = itertools.count(1)

    def take(self, kind: str):
        with self.lock:
            if kind in ("contact_add", "customer_edit"):
                return next(self.customers)["id"]
            if kind == "order_assign":
                return next(self.assignable)["id"]
            if kind == "order_cancel":
                return self.cancellable.popleft()["id"] if self.cancellable else None
            return self.completed.popleft() if self.completed else None


class Supervisor:
    def __init__(self, port: int, user: dict, tally, targets: Targets):
        self.http, self.user, self.tally, self.targets = Http(port), user, tally, targets

    def sign_in(self) -> None:
        page = self.http.get("/login")
        form = next(f for f in forms(page.text) if "password" in dict(f["fields"]))
        fields = dict(form["fields"]) | {"username": self.user["username"], "password": PASSWORD}
        ans = self.http.post_form("/login", fields)
        assert ans.status in (302, 303), (ans.status, ans.text[:300])

    def _read(self, path: str):
        try:
            ans = self.http.get(path)
        except Dropped:
            self.tally.add(READ, "dropped")
            return None
        self.tally.add(READ, "ok" if ans.status == 200 else "error", ans.status, ans.seconds)
        return ans.text if ans.status == 200 else None

    def _post(self, kind: str, path: str, fields) -> None:
        try:
            ans = self.http.post_form(path, fields)
        except Dropped:
            self.tally.add(WRITE, "dropped")
            self.tally.add(f"{WRITE}:{kind}", "dropped")
            return
        ok = ans.status == 303 and "/login" not in ans.headers.get("Location", "")
        outcome = "ok" if ok else ("error" if ans.status >= 500 else "refused")
        self.tally.add(WRITE, outcome, ans.status, ans.seconds)
        self.tally.add(f"{WRITE}:{kind}", outcome, ans.status, ans.seconds)

    def act(self, kind: str) -> bool:
        """One write of this kind (GET its page, POST its form); False if nothing to act on."""
        target = self.targets.take(kind)
        if target is None:
            return False
        n = next(self.targets.n)
        page_path, action, changes = self._plan(kind, target, n)
        html = self._read(page_path)
        if html is None:
            return True
        form = form_with_action(html, action)
        if form is None:  # e.g. the order is no longer open: nothing to post
            self.tally.note(WRITE, "form_missing")
            return True
        fields = [(k, v) for k, v in form["fields"] if k not in changes] + list(changes.items())
        self._post(kind, form["action"], fields)
        return True

    def _plan(self, kind: str, target: str, n: int) -> tuple[str, str, dict]:
        """The page holding the form, a pattern of its action, and the fields to type."""
        if kind == "contact_add":
            typed = {"name": f"联系人{n}", "title": "采购经理", "phone": f"138{n:08d}"}
            return (
                f"/customers/{target}",
                r"/contacts$",
                typed | {"birthday": f"1985-03-{1 + n % 28:02d}"},
            )
        if kind == "customer_edit":
            return f"/customers/{target}/edit", r"/edit$", {"address": f"杭州市西湖区文三路{n}号"}
        if kind == "order_assign":
            tech = self.targets.technicians[n % len(self.targets.technicians)]
            return f"/work-orders/{target}", r"/assign$", {"assignee_id": tech}
        if kind == "order_cancel":
            return f"/work-orders/{target}", r"/review/cancel$", {"reason": "客户取消报修"}
        action = r"/approve$" if kind == "visit_approve" else r"/return$"
        return f"/reviews/visit/{target}", action, {"reason": "请补充现场照片"}
