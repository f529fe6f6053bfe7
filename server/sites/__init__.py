"""Sites: base stations, customer premises, line endpoints."""
