"""Reminders: rules that find what field staff should hear about, an outbox that never
holds the same reminder twice, and a run that sends them by Web Push (see docs/push.md)."""
