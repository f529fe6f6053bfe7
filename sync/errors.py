"""Errors a mutation handler raises: permanent ones are recorded and skipped, transient stop."""


class PermanentError(Exception):
    """The mutation can never succeed (bad args, illegal transition, out of scope).

    The server records a rejection with this code and moves on: a poison mutation must
    never block the queue behind it.
    """

    def __init__(self, code: str, message: str = "", **details):
        super().__init__(message or code)
        self.code = code
        self.message = message or code
        self.details = details

    def as_dict(self) -> dict:
        return {"code": self.code, "message": self.message, **self.details}


class TransientError(Exception):
    """The mutation may succeed later (a blob not yet here, the database busy): stop here."""

    def __init__(self, code: str, message: str = "", retry_after: int = 30):
        super().__init__(message or code)
        self.code = code
        self.message = message or code
        self.retry_after = retry_after


class ProtocolError(Exception):
    """The request itself is malformed; answered 400 with the code."""

    def __init__(self, code: str, message: str, status: int = 400, **details):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.details = details

    def as_dict(self) -> dict:
        return {"error": self.code, "message": self.message, **self.details}
