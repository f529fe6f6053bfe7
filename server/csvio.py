"""CSV in and out, for every domain: reading an upload, the encodings Chinese Excel writes,
line numbers, formula-safe cells, and the download response every CSV export sends."""

import csv
import io
import unicodedata

from flask import Response, current_app

# CSV injection (OWASP "CSV Injection"): a spreadsheet may run a cell starting with one of
# these as a formula or DDE command (";" and "|" start DDE in some). Exports quote such a
# cell with an apostrophe, and imports take it off again, so an export re-imports unchanged.
FORMULA_STARTS = frozenset("=+-@\t\r;|")
# Characters a reader does not see before the formula: spreadsheets and their users skip
# them, so "\u200b=cmd" is as dangerous as "=cmd". Besides the Unicode formats (Cf: zero
# width space, BOM, direction marks), separators (Z*) and controls (Cc), the blank letters.
BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def _invisible(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "CZ" or ch in BLANK_LETTERS


def formula_like(text: str) -> bool:
    """Whether a spreadsheet could read this cell as a formula: after any invisible prefix,
    it starts with a formula character, also in its full-width or small form (NFKC: ＝ ＋ －
    ＠ ﹦ …). The one rule for every export (and, reversed, every import)."""
    for ch in text:
        if ch in FORMULA_STARTS or unicodedata.normalize("NFKC", ch)[:1] in FORMULA_STARTS:
            return True
        if not _invisible(ch):
            return False
    return False


class UnreadableFile(ValueError):
    """The bytes are neither UTF-8 nor GB18030 text."""


def decode(raw: bytes) -> str:
    """UTF-8 (with or without a BOM), else GB18030 (what Chinese Excel saves as 'CSV')."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" not in text:
            return text
    raise UnreadableFile("not UTF-8 or GB18030 text")


def read(text: str) -> tuple[list[str], list[tuple[int, dict]]]:
    """The header (trimmed names) and the rows as (first file line, {column: cell}).

    Line numbers count from 1 with the header as line 1; blank lines are skipped but counted.
    """
    reader = csv.reader(io.StringIO(text))
    header = [name.strip() for name in next(reader, [])]
    found, line = [], reader.line_num
    for cells in reader:
        start, line = line + 1, reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        # A short row (Excel drops trailing empty cells) has empty cells, not missing ones.
        cells = [_unquote(cell.strip()) for cell in cells] + [""] * (len(header) - len(cells))
        found.append((start, dict(zip(header, cells, strict=False))))
    return header, found


def _unquote(cell: str) -> str:
    if cell.startswith("'") and formula_like(cell[1:]):
        return cell[1:]
    return cell


def _safe(value) -> str:
    if value is None:
        return ""
    if isinstance(value, int | float):
        return str(value)
    text = str(value)
    return "'" + text if formula_like(text) else text


def write(columns, records) -> str:
    """CSV text with a BOM (so Excel reads UTF-8): the header, then each record's columns,
    every text cell made formula-safe (numbers are written as numbers)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for record in records:
        writer.writerow([_safe(record.get(column)) for column in columns])
    return out.getvalue()


def download(columns, records, filename: str) -> Response:
    """Every CSV download: UTF-8 with BOM (for Excel), formula-safe cells (`write`),
    an attachment, never cached."""
    response = Response(write(columns, records), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def read_upload(upload_file) -> tuple[str | None, str | None]:
    """An uploaded file's text, or an error code (required, file_too_large, unreadable_file).

    At most IMPORT_MAX_BYTES are read; the text is decoded as `decode` does.
    """
    if upload_file is None or not upload_file.filename:
        return None, "required"
    limit = current_app.config["IMPORT_MAX_BYTES"]
    raw = upload_file.stream.read(limit + 1)
    if len(raw) > limit:
        return None, "file_too_large"
    try:
        return decode(raw), None
    except UnreadableFile:
        return None, "unreadable_file"
