"""Helpers of bench/sync_concurrency.py and bench/sync_load.py: the app served in its own
process (werkzeug's threaded development server or gunicorn), a world of users, an HTTP
client that behaves like the documented device, and latency/answer counters."""
