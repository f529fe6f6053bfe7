"""Decode-verify an uploaded image before the server keeps it.

The first bytes prove nothing: an HTML page can start with a JPEG's `FF D8 FF`, a WAV file
is RIFF like WebP, and a 100 KB PNG can claim 30000 x 30000 pixels. A finished upload is
kept only when Pillow reads it as the declared format, it has at most MAX_PIXELS pixels,
it decodes to the end, and nothing follows the image's own end (JPEG after EOI, PNG after
IEND, WebP beyond its RIFF size), so no other document rides along under an image type.
"""

import io
import struct
import warnings

from PIL import Image

MIMES = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
MAX_PIXELS = 40_000_000  # 40 MP: a 7700 x 5200 photo; the device sends about 1600 px
DRAFT_EDGE = 1024  # px: a JPEG is decoded at a reduced scale (draft) to prove it decodes


class ImageRefused(ValueError):
    """Not a sound image of the declared type: `code` is bad_content or bad_image."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


def verify(content: bytes, mime: str) -> str:
    """The verified type of `content` (equal to `mime`), or ImageRefused."""
    declared = MIMES[mime]
    with warnings.catch_warnings():
        # Pillow warns of a "decompression bomb" past 89 MP and raises past twice that;
        # both are a refusal here (and pytest runs warnings as errors).
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            found = _open_and_decode(content)
        except ImageRefused:
            raise
        except (Image.DecompressionBombWarning, Image.DecompressionBombError):
            raise ImageRefused("bad_image", f"more than {MAX_PIXELS} pixels") from None
        except Exception as exc:  # any decoder failure is a refusal
            if _kind(content) not in (None, declared):
                raise ImageRefused("bad_content", f"the file is not {mime}") from exc
            raise ImageRefused("bad_image", f"the image does not decode: {exc}"[:200]) from exc
    if found != declared:
        real = next(m for m, f in MIMES.items() if f == found)
        raise ImageRefused("bad_content", f"the file is {real}, not {mime}")
    end = END[found](content)
    if end != len(content):
        raise ImageRefused("bad_image", f"{len(content) - end} bytes follow the image's end")
    return mime


def _kind(content: bytes) -> str | None:
    try:
        with Image.open(io.BytesIO(content), formats=tuple(MIMES.values())) as img:
            return img.format
    except Exception:  # an unreadable header: no known kind
        return None


def _open_and_decode(content: bytes) -> str:
    formats = tuple(MIMES.values())
    try:
        img = Image.open(io.BytesIO(content), formats=formats)
    except Image.UnidentifiedImageError:
        raise ImageRefused("bad_content", "the file is not a JPEG, PNG or WebP image") from None
    with img:
        found = img.format
        if img.width * img.height > MAX_PIXELS:
            raise ImageRefused(
                "bad_image", f"{img.width} x {img.height} px is over {MAX_PIXELS} pixels"
            )
        img.verify()  # structure and checksums (PNG CRCs), without decoding pixels
    with Image.open(io.BytesIO(content), formats=formats) as img:
        img.draft("RGB", (DRAFT_EDGE, DRAFT_EDGE))  # JPEG only: decode at 1/2..1/8 scale
        img.load()  # every pixel decodes; a truncated file raises here
    return found


def _jpeg_end(data: bytes) -> int:
    """Offset just after the EOI marker, walking segments (an EXIF thumbnail's own EOI sits
    inside a length-prefixed APP1 segment and is skipped)."""
    pos, size = 2, len(data)
    while pos + 4 <= size:
        if data[pos] != 0xFF:
            raise ImageRefused("bad_image", "broken JPEG segment")
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0xD9:
            return pos + 2
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            pos += 2
            continue
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        pos += 2 + length
        if marker == 0xDA:  # start of scan: entropy-coded data up to the next real marker
            pos = _scan_end(data, pos)
    if pos + 2 <= size and data[pos : pos + 2] == b"\xff\xd9":
        return pos + 2
    raise ImageRefused("bad_image", "the JPEG has no end marker")


def _scan_end(data: bytes, pos: int) -> int:
    """Where the entropy-coded data from `pos` ends: at the first FF that is not a stuffed
    FF 00, a restart marker or a fill byte (found with bytes.find: photos are megabytes)."""
    while True:
        pos = data.find(b"\xff", pos)
        if pos < 0 or pos + 1 >= len(data):
            raise ImageRefused("bad_image", "the JPEG has no end marker")
        follower = data[pos + 1]
        if follower == 0xFF:
            pos += 1
        elif follower == 0x00 or 0xD0 <= follower <= 0xD7:
            pos += 2
        else:
            return pos


def _png_end(data: bytes) -> int:
    pos = 8
    while pos + 8 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        pos += 12 + length
        if kind == b"IEND":
            return pos
    raise ImageRefused("bad_image", "the PNG has no IEND chunk")


def _webp_end(data: bytes) -> int:
    (size,) = struct.unpack("<I", data[4:8])
    return 8 + size + (size & 1)


END = {"JPEG": _jpeg_end, "PNG": _png_end, "WEBP": _webp_end}
