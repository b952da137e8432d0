"""How the sync talks to Outreach: one client per job, and Outreach's errors turned into job outcomes."""

from contextlib import contextmanager

from django.utils import timezone

from connectors.outreach.client import OutreachClient
from connectors.outreach.errors import OutreachRateLimited, OutreachTransient, OutreachUnauthorized
from sync.errors import JobRetry, JobWaiting
from sync.models import Connector


# A job waits this long for the rate budget at most; beyond it, the job gives its worker back and
# is retried at the reset (a django-q task must not sleep for most of an hour).
JOB_MAX_RATE_WAIT_SECONDS = 120


def outreach_client_for(connector: Connector) -> OutreachClient:
    return OutreachClient(connector, max_rate_wait_seconds=JOB_MAX_RATE_WAIT_SECONDS)


@contextmanager
def outreach_job_errors():
    """Outreach problems that concern the whole job, not one record: wait or retry, never drop."""
    try:
        yield
    except OutreachUnauthorized as exc:
        raise JobWaiting(f"Outreach needs re-authorization: {exc}") from exc
    except OutreachRateLimited as exc:
        wait = max(1.0, (exc.reset_at - timezone.now()).total_seconds()) if exc.reset_at else None
        raise JobRetry(f"Outreach rate limit reached: {exc}", after_seconds=wait) from exc
    except OutreachTransient as exc:
        raise JobRetry(f"Outreach is not answering: {exc}") from exc
