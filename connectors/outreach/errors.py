"""What can go wrong talking to Outreach, as a small taxonomy the sync can act on.

- OutreachUnauthorized: the connector needs re-authorization (staff must reconnect); jobs wait.
- OutreachRateLimited: the budget is spent until `reset_at`; retry the job after it.
- OutreachNotFound: the record is gone (skip it).
- OutreachValidationError (422) / OutreachBadRequest (400): Outreach refused this record (skip and log).
- OutreachTransient: 5xx, timeouts, connection errors, after the client's own retries (retry the job).
- OutreachAmbiguousWrite: a POST that may or may not have happened. Never re-send it blindly:
  re-resolve the record's identity first (the create may have succeeded).
"""

from datetime import datetime


class OutreachError(Exception):
    """Base class. `status` is the HTTP status when there was a response."""

    def __init__(self, message: str, *, status: int | None = None):
        super().__init__(message)
        self.status = status


class OutreachUnauthorized(OutreachError):
    """The tokens are no longer accepted: the connector needs re-authorization."""


class OutreachForbidden(OutreachError):
    """403: the authorization lacks a scope or the Outreach user lacks a permission."""


class OutreachRateLimited(OutreachError):
    def __init__(self, message: str, *, reset_at: datetime, status: int | None = 429):
        super().__init__(message, status=status)
        self.reset_at = reset_at


class OutreachDetailedError(OutreachError):
    """An error with Outreach's JSON:API `errors[0]`: id, title, detail (and source pointer)."""

    def __init__(self, *, status: int, error_id: str = "", title: str = "", detail: str = "", pointer: str = ""):
        self.error_id = error_id
        self.title = title
        self.detail = detail
        self.pointer = pointer
        super().__init__(f"Outreach Error Details: [{error_id}] {title}: {detail}", status=status)


class OutreachNotFound(OutreachDetailedError):
    pass


class OutreachValidationError(OutreachDetailedError):
    """422, e.g. `[validationError] Validation Error: Contacts email hash has already been taken.`"""


class OutreachBadRequest(OutreachDetailedError):
    """400 (and other 4xx without a more specific class), e.g. a relationship to a missing user."""


class OutreachTransient(OutreachError):
    """5xx, timeouts and connection errors that outlived the client's retries."""


class OutreachAmbiguousWrite(OutreachTransient):
    """A create whose outcome is unknown (timeout or 5xx after the request was sent)."""

    def __init__(self, message: str, *, method: str, url: str, status: int | None = None):
        super().__init__(message, status=status)
        self.method = method
        self.url = url
