"""WSGI entry point for a production server: `gunicorn server.wsgi:app`.

Configuration comes as for `flask --app server`: defaults, then instance/config.py, then
FIELDBOOK_* environment variables (server/config.py), e.g. FIELDBOOK_DATABASE.
"""

from server import create_app

app = create_app()
