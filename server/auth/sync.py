"""What the auth domain registers with sync: `user.locale`, the language chosen on the device.

The device switches language offline; the choice reaches the server with the next sync so
that what the server says to the user away from the app (push reminders, PDFs, mail) is in
the same language.
"""

from flask import current_app

from sync import args as check

from . import model


def set_locale(ctx, args):
    """user.locale {locale}: the caller's own language (zh_CN or en); nobody else's."""
    locale = check.choice(args, "locale", tuple(current_app.config["LANGUAGES"]))
    row = model.get(ctx.db, ctx.user_id)
    if row["locale"] == locale:
        return {"locale": locale, "already": True}
    model.set_locale(ctx.db, ctx.user_id, locale)
    return {"locale": locale}


def register(registry) -> None:
    """Register the mutation (no entity: the user row is not replicated)."""
    registry.mutation("user.locale")(set_locale)
