"""Render a report template to a tagged PDF (PDF/UA-1) with the CJK font embedded.

Text is set in Noto Sans CJK SC, found by fontconfig (Debian's fonts-noto-cjk, installed by
`make system-deps`); WeasyPrint embeds the glyphs used, subset, so Chinese never prints as
boxes and a page stays small. The document's title and language come from the template
(<title>, <html lang>), which PDF/UA requires.
"""

import functools
import subprocess
import threading

from flask import current_app, render_template
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration

from ..i18n import current_language
from .fetcher import BlobFetcher

FONT_FAMILY = "Noto Sans CJK SC"
PDF_VARIANT = "pdf/ua-1"
_per_thread = threading.local()


class ReportError(RuntimeError):
    """A report cannot be printed as promised (no CJK font on this machine)."""


@functools.cache
def cjk_font() -> str:
    """The font file fontconfig gives for the report family; refuses a fallback font."""
    try:
        found = subprocess.run(  # noqa: S603
            ["fc-match", "--format=%{file}", FONT_FAMILY],  # noqa: S607
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        raise ReportError("fontconfig (fc-match) is not available") from exc
    if "CJK" not in found:
        raise ReportError(f"{FONT_FAMILY} is not installed (fonts-noto-cjk); got {found!r}")
    return found


def html_lang() -> str:
    """The report's language tag for <html lang>: zh-CN or en."""
    return current_language().replace("_", "-")


def render_html(template: str, **context) -> str:
    """The report's HTML (needs an app and request context for the language)."""
    cjk_font()
    return render_template(template, lang=html_lang(), font_family=FONT_FAMILY, **context)


def font_config() -> FontConfiguration:
    """One font configuration per thread, kept between reports.

    A fresh one per document loads the CJK font files again each time; in a long-running
    process that made the peak memory climb by tens of MB per report (the freed buffers do
    not go back in one piece). Reports use no @font-face, so nothing leaks between them.
    """
    if not hasattr(_per_thread, "fonts"):
        _per_thread.fonts = FontConfiguration()
    return _per_thread.fonts


def write_pdf(html: str, blobs: set[str], target=None):
    """PDF bytes (or written to `target`) of report HTML whose images are `blobs`."""
    fetcher = BlobFetcher(current_app.config["BLOB_DIR"], blobs)
    document = HTML(string=html, url_fetcher=fetcher)
    return document.write_pdf(target, pdf_variant=PDF_VARIANT, font_config=font_config())


def render_pdf(template: str, blobs: set[str] = frozenset(), **context) -> bytes:
    """Render a report template to PDF bytes."""
    return write_pdf(render_html(template, **context), blobs)
