"""The sync protocol, framework-free: push, pull, epochs, conflicts, blobs.

Imports no Flask and no domain. Domains register their mutations and entities with a
`Registry`; the server's HTTP layer hands requests to `push.process_push`,
`pull.process_pull` and `blobs.BlobStore`.
"""

from .errors import PermanentError, TransientError
from .registry import Context, Held, Registry

__all__ = ["Context", "Held", "PermanentError", "Registry", "TransientError"]
