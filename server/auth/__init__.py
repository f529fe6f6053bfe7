"""Sign-in: sessions for pages, bearer tokens for devices."""
