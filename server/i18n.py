"""Languages and time zones: zh_CN by default, English offered; stored UTC, shown local."""

from babel import Locale, support
from flask import current_app, request, session
from flask_babel import Domain, format_datetime, get_locale
from flask_login import current_user

from .extensions import babel
from .labels import choices, error_message, label
from .times import clock_offset_text, from_stored, minutes_left_text, relative_day

LANGUAGE_NAMES = {"zh_CN": "中文", "en": "English"}


def select_locale() -> str:
    """The user's saved language, else the session's, else the browser's, else zh_CN."""
    languages = current_app.config["LANGUAGES"]
    if current_user.is_authenticated and current_user.row.get("locale") in languages:
        return current_user.row["locale"]
    if session.get("locale") in languages:
        return session["locale"]
    best = request.accept_languages.best_match(["zh", "en"]) if request else None
    return "en" if best == "en" else current_app.config["BABEL_DEFAULT_LOCALE"]


def current_language() -> str:
    """The configured code (zh_CN, en) of the request's locale, which Babel calls zh_Hans_CN."""
    locale = get_locale()
    for code in current_app.config["LANGUAGES"]:
        if Locale.parse(code) == locale:
            return code
    return str(locale)


class Catalogues(Domain):
    """Flask-Babel's message lookup, by our language codes and per translations folder.

    Stock Flask-Babel looks for a folder named after Babel's locale, zh_Hans_CN, finds none
    beside zh_CN and silently shows English (ckan/ckan#4413). Keying the cache by folder too
    keeps apps in one process (the tests) from sharing each other's catalogues.
    """

    def get_translations(self):
        key = (str(get_locale()), *self.translation_directories)
        if key not in self.cache:
            translations = support.Translations()
            for folder in self.translation_directories:
                catalogue = support.Translations.load(folder, [current_language()], self.domain[0])
                translations.merge(catalogue)
                if hasattr(catalogue, "plural"):  # merge() does not copy the plural rule
                    translations.plural = catalogue.plural
            self.cache[key] = translations
        return self.cache[key]


def select_timezone() -> str:
    """The user's time zone, default BABEL_DEFAULT_TIMEZONE (times.LOCAL_ZONE_NAME)."""
    if current_user.is_authenticated and current_user.row.get("timezone"):
        return current_user.row["timezone"]
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


CLOCK = "yyyy-MM-dd HH:mm"  # the device's clockText (pwa/times.js), in every language


def local_time(value: str | None, fmt: str = CLOCK) -> str:
    """Template filter: a stored UTC time in the user's zone, "2026-03-06 02:30" as on the
    device; another babel format by name ("long", with the zone) or pattern."""
    return format_datetime(from_stored(value), fmt) if value else ""


def init_app(app) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(app.root_path + "/translations"))
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    babel.domain_instance = Catalogues()
    app.add_template_filter(local_time, "local_time")
    from .privacy import phones

    app.add_template_filter(phones.mask, "masked_phone")
    app.add_template_filter(label, "label")
    app.add_template_filter(minutes_left_text, "minutes_left")
    app.add_template_filter(clock_offset_text, "clock_offset")
    app.add_template_filter(relative_day, "relative_day")
    app.add_template_filter(error_message, "error_message")
    app.jinja_env.globals["choices"] = choices
    app.jinja_env.globals["LANGUAGE_NAMES"] = LANGUAGE_NAMES
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.globals["current_language"] = current_language
