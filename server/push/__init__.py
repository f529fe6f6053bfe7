"""Web Push: VAPID keys, each device's subscription, and sending (pywebpush)."""
