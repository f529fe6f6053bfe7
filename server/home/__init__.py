"""The landing page and health check."""
