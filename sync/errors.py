"""How a job tells the runner what should happen next. The sync raises these; the runner acts."""


class JobWaiting(Exception):
    """The connector cannot work now (Outreach needs re-authorization): wait, lose nothing."""


class JobRetry(Exception):
    """A transient failure (429, 5xx, timeout): run the job again later; it resumes where it was."""

    def __init__(self, message: str, after_seconds: float | None = None):
        super().__init__(message)
        self.after_seconds = after_seconds
