"""Helpers of bench/sync_ingest.py: a scripted device over real HTTP, and the test world."""
