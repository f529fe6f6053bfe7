"""Administration screens: the organisation tree, users and the audit log (split by noun)."""
