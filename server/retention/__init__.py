"""Churn warnings, retention tasks and their outcomes, customer segments."""
