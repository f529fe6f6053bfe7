"""Browser defences on every response: pages, API, static files, blobs, the device app's
assets and its service worker (docs/operations.md, "Security headers").

No inline script or style anywhere: the policy allows only the app's own files, so a
stored payload that slipped past escaping still cannot run. Photo previews on the device
are blob: and data: images, hence img-src.
"""

from flask import request

PAGE_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' blob: data:",
        "media-src 'self' blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "worker-src 'self'",
        "manifest-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
# JSON and blobs are data, never documents: opened directly, nothing in them may run.
API_POLICY = "default-src 'none'; frame-ancestors 'none'; sandbox"
PERMISSIONS = "camera=(self), geolocation=(self), microphone=(), payment=(), usb=()"
HSTS = "max-age=31536000"


def add_headers(response):
    """Set the headers unless a view set its own (setdefault: a view may be stricter)."""
    headers = response.headers
    api = request.path.startswith("/api/")
    headers.setdefault("Content-Security-Policy", API_POLICY if api else PAGE_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")  # frame-ancestors for older browsers
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", PERMISSIONS)
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def init_app(app) -> None:
    """Add the headers to every response the app makes, errors included."""
    app.after_request(add_headers)
