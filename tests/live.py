"""A real HTTP server for browser tests: our own app on loopback, stoppable and restartable.

Stopping it makes the server truly unreachable (connection refused), which is how offline
tests prove the device works without it.
"""

import threading

from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _buffered(app):
    """The app with each response read whole and closed before it is sent.

    Werkzeug's development server skips the response's close() when the browser drops the
    connection mid-body (it reads the socket again in a `finally`), leaving the file of a
    static response open; with warnings as errors that fails a random browser test.
    """

    def wsgi(environ, start_response):
        body = app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            if hasattr(body, "close"):
                body.close()

    return wsgi


class LiveServer:
    """Serve a Flask app on 127.0.0.1 in a thread; stop() and start() again on the same port."""

    def __init__(self, app, port: int = 0):
        self.app = app
        self.port = port
        self._server = None
        self._thread = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "LiveServer":
        self._server = make_server("127.0.0.1", self.port, _buffered(self.app), threaded=True)
        self.port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = None
