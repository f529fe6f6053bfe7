"""A reminder's words, in its user's language and time zone, rendered when it is sent."""

import json
from datetime import date
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale, get_domain

from .. import times


def _clock(value: str, zone: ZoneInfo) -> str:
    """A stored UTC time as the user's local HH:MM (with the date when it is not today)."""
    return times.from_stored(value).astimezone(zone).strftime("%m-%d %H:%M")


def _day(value: str) -> str:
    return date.fromisoformat(value).strftime("%m-%d")


def _texts(_, kind: str, p: dict, zone: ZoneInfo) -> tuple[str, str]:
    """Title and body; `_` is gettext in the user's language."""
    if kind == "work_order_assigned":
        return _("Work order %(code)s is yours", code=p["code"]), p["title"]
    if kind == "sla_arrival":
        return (
            _("Arrive by %(time)s", time=_clock(p["due_at"], zone)),
            _(
                "%(code)s %(title)s: the arrival deadline is near.",
                code=p["code"],
                title=p["title"],
            ),
        )
    if kind == "sla_restore" and p.get("wo_type", "fault_repair") != "fault_repair":
        return (  # another type's due time (the SLA by work type keeps it as restore_due_at)
            _("Due by %(time)s", time=_clock(p["due_at"], zone)),
            _("%(code)s %(title)s: the due time is near.", code=p["code"], title=p["title"]),
        )
    if kind == "sla_restore":
        return (
            _("Restore by %(time)s", time=_clock(p["due_at"], zone)),
            _(
                "%(code)s %(title)s: the restore deadline is near.",
                code=p["code"],
                title=p["title"],
            ),
        )
    if kind == "report_converted":
        return (
            _("Your report became work order %(code)s", code=p["code"]),
            p["title"],
        )
    if kind == "rework":
        return _("Returned for rework: %(what)s", what=p["what"]), p["reason"]
    if kind == "visits_tomorrow":
        return (
            _("%(n)s visits planned for %(day)s", n=p["n"], day=_day(p["day"])),
            "、".join(p["customers"]),
        )
    if kind == "customers_overdue":
        return (
            _("Customers overdue for a visit: %(n)s", n=p["n"]),
            "、".join(p["customers"]),
        )
    if kind == "key_date":
        what = _("Birthday") if p["label"] == "birthday" else p["label"]
        return (
            _(
                "Care: %(contact)s, %(what)s on %(day)s",
                contact=p["contact"],
                what=what,
                day=_day(p["day"]),
            ),
            p["customer"],
        )
    if kind == "follow_up_due":
        return _("Follow-up due today: %(action)s", action=p["action"]), p["customer"]
        raise ValueError(f"unknown reminder kind {kind!r}")


def _gettext_in(locale: str):
    """gettext for one language: the app's catalogue, looked up once (force_locale), then
    used for a whole batch; resolving the locale on every call was most of the send time."""
    with force_locale(locale):
        translations = get_domain().get_translations()

    def gettext(text, **values):
        found = translations.gettext(text)
        return found % values if values else found

    return gettext


class Renderer:
    """Renders payloads, keeping one gettext per language."""

    def __init__(self):
        self.gettexts = {}

    def render(self, reminder: dict) -> bytes:
        """The push payload (JSON): title, body, the /m/ screen to open, a tag, the kind."""
        config = current_app.config
        locale = reminder.get("locale")
        locale = locale if locale in config["LANGUAGES"] else config["BABEL_DEFAULT_LOCALE"]
        if locale not in self.gettexts:
            self.gettexts[locale] = _gettext_in(locale)
        zone = times.zone(reminder.get("timezone") or config["BABEL_DEFAULT_TIMEZONE"])
        params = json.loads(reminder["params"])
        title, body = _texts(self.gettexts[locale], reminder["kind"], params, zone)
        return _payload(reminder, title, body)


# Push services need take no more than 4096 bytes a message (RFC 8030 7.2; FCM and Mozilla
# refuse more with 413), 3993 of them plaintext once encrypted (RFC 8188): a long work-order
# title or return reason must not make the reminder undeliverable. In UTF-8 a Chinese
# character is 3 bytes, so these caps keep the JSON under 2.5 KB.
TITLE_CHARS, BODY_CHARS = 120, 500


def _cut(text, limit: int) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _payload(reminder: dict, title, body) -> bytes:
    payload = {
        "title": _cut(title, TITLE_CHARS),
        "body": _cut(body, BODY_CHARS),
        "url": reminder["url"],
        "tag": f"{reminder['kind']}:{reminder['subject_id']}",
        "kind": reminder["kind"],
        "id": reminder["id"],
        "urgent": bool(reminder["urgent"]),
    }
    return json.dumps(payload, ensure_ascii=False).encode()
