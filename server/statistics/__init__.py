"""Statistics for supervisors and admins: filtered charts (server-rendered SVG) and CSV."""
