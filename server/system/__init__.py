"""The system domain: /metrics for Prometheus and the admin's System page."""
