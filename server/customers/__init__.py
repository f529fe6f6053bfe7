"""Business (group) customers: class, service grade, account manager, contacts."""
