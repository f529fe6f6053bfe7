"""Complaints (投诉): received, classified, investigated, handled, fed back, archived."""
