"""django-q entry points: thin, ids only."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone


def job_run(job_id: int):
    from sync.jobs import job_run as run

    job = run(job_id)
    return job.status if job else "not claimed"


def jobs_recover():
    from sync.jobs import jobs_recover as recover

    return recover()


def connectors_tick():
    from sync.scheduling import connectors_tick as tick

    return tick()


def logs_prune():
    from sync.models import SyncLog

    cutoff = timezone.now() - timedelta(days=settings.SYNC_LOG_RETENTION_DAYS)
    deleted, _ = SyncLog.objects.filter(created_at__lt=cutoff).delete()
    return deleted
