"""The only way a report reaches outside its HTML: photos from the blob store, by hash.

WeasyPrint asks its URL fetcher for every image and stylesheet. Ours answers
`blob:<sha256>` for the blobs the report was built with (a photo of this record, its
signature), reads them from the store and shrinks them for print; everything else,
http(s) and file: included, is refused, so a report never calls the network and a
crafted URL cannot read a file.
"""

import io

from PIL import Image, ImageOps
from weasyprint.urls import URLFetcher, URLFetcherResponse

from sync.blobs import BlobStore, valid_sha

SCHEME = "blob:"
PRINT_EDGE = 800  # px on the long edge: a photo prints 40 mm wide, so still 500 dpi
JPEG_QUALITY = 80
# Pixels decoded at most (after a JPEG's draft scale): a 250 KB PNG of 9000 x 9000 px
# would otherwise take about 350 MB to shrink. 24 MP is a 6000 x 4000 photo.
MAX_PIXELS = 24_000_000


class RefusedURL(ValueError):
    """A report asked for something other than one of its own blobs."""


def blob_url(sha: str) -> str:
    """The URL a report template uses for a blob."""
    return SCHEME + sha


def downscale(data: bytes, edge: int = PRINT_EDGE) -> tuple[bytes, str]:
    """An image shrunk to `edge` px on its long side (turned upright), as (bytes, mime).

    JPEG decodes straight at a reduced scale (draft), which is most of the saving."""
    with Image.open(io.BytesIO(data)) as image:
        image.draft("RGB", (edge, edge))
        if image.width * image.height > MAX_PIXELS:
            raise RefusedURL(f"image of {image.width} x {image.height} px is too large to print")
        upright = ImageOps.exif_transpose(image)
        upright.thumbnail((edge, edge))
        out = io.BytesIO()
        if upright.mode in ("RGBA", "LA", "P"):
            upright.save(out, "PNG", optimize=False)
            return out.getvalue(), "image/png"
        upright.convert("RGB").save(out, "JPEG", quality=JPEG_QUALITY)
        return out.getvalue(), "image/jpeg"


class BlobFetcher(URLFetcher):
    """Serves `blob:<sha>` for the allowed blobs from the store; refuses every other URL."""

    def __init__(self, blob_dir: str, allowed: set[str], edge: int = PRINT_EDGE):
        super().__init__(allowed_protocols=("blob",))
        self.store, self.allowed, self.edge = BlobStore(blob_dir), set(allowed), edge

    def fetch(self, url, headers=None):
        if not url.startswith(SCHEME):
            raise RefusedURL(f"reports only read their own blobs, not {url[:40]}")
        sha = url[len(SCHEME) :]
        if not valid_sha(sha) or sha not in self.allowed:
            raise RefusedURL(f"blob {sha[:12]} is not part of this report")
        data = self.store.path(sha).read_bytes()
        body, mime = downscale(data, self.edge)
        return URLFetcherResponse(url, body, {"Content-Type": mime})
