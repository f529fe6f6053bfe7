"""Inspections (巡检): versioned checklist templates per site type, answer evaluation, and
recurring plans that generate inspection work orders per site."""
