"""Run the app under werkzeug's threaded development server: `devserver.py PORT`.

The app is server.wsgi (configured by FIELDBOOK_* variables), served as `flask run` serves
it: one thread per connection, HTTP/1.1 keep-alive, no reloader, no debugger.
"""

import logging
import sys

from werkzeug.serving import make_server

from server.wsgi import app

if __name__ == "__main__":
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    server = make_server("127.0.0.1", int(sys.argv[1]), app, threaded=True)
    server.serve_forever()
