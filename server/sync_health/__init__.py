"""Sync health: every field user's devices as they last reported, for supervisors and admins."""
