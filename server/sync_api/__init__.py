"""HTTP face of the sync protocol: /api/sync/push, /api/sync/pull, /api/blobs/<sha256>."""
