"""Organisation tree: province → city → district → team, plus contractors."""
