"""Customer points (大客户积分): policy, append-only ledger, pages."""
