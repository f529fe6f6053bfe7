"""Serving the installable field app (PWA): shell, service worker, manifest, assets."""
