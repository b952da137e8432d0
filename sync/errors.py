"""How a job tells the runner what should happen next. The sync raises these; the runner acts."""


class JobWaiting(Exception):
    """The connector cannot work now (Outreach needs re-authorization): wait, lose nothing."""


class JobRetry(Exception):
    """A transient failure (429, 5xx, timeout): run the job again later; it resumes where it was."""

    def __init__(self, message: str, after_seconds: float | None = None):
        super().__init__(message)
        self.after_seconds = after_seconds


class JobYield(Exception):
    """A long job has used its time slice: it saved its checkpoint and continues in a fresh task.

    Not a failure and not an attempt: django-q stops any task at its timeout, so fetches of millions
    of records run as a chain of slices instead of being killed and revived.
    """
