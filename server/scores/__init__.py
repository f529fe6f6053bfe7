"""Performance scores (业绩考核): monthly indicators, weighted by a versioned policy per role."""
