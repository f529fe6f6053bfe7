"""Demo data: one Hangzhou city branch, the same for the same seed (flask seed-demo)."""
