"""What hullreach keeps, and for how long: everything it stores is pruned once it is no use.

- SyncLog lines: SYNC_LOG_RETENTION_DAYS.
- Stored inputs (Hull notifications and their messages, Outreach webhook deliveries) and finished
  jobs: SYNC_INPUT_RETENTION_DAYS, and only once no open job still needs them (a failed job keeps
  its input for a re-run until then).
- The hourly rollup: SYNC_STAT_RETENTION_DAYS (the dashboards show 7 days).
Deletes go in batches so a daily prune never holds a long lock on a big table.
"""

from datetime import timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.utils import timezone

from sync.choices import OPEN_JOB_STATUSES, MessageStatus
from sync.models import HullNotification, OutreachDelivery, SyncJob, SyncLog, SyncStat

BATCH = 5000


def _batched_delete(queryset) -> int:
    deleted = 0
    while True:
        ids = list(queryset.order_by().values_list("pk", flat=True)[:BATCH])
        if not ids:
            return deleted
        count, _ = queryset.model.objects.filter(pk__in=ids).delete()
        deleted += count


def data_prune(*, now=None) -> dict:
    now = now or timezone.now()
    logs_cutoff = now - timedelta(days=settings.SYNC_LOG_RETENTION_DAYS)
    inputs_cutoff = now - timedelta(days=settings.SYNC_INPUT_RETENTION_DAYS)
    stats_cutoff = now - timedelta(days=settings.SYNC_STAT_RETENTION_DAYS)
    open_jobs = SyncJob.objects.filter(status__in=OPEN_JOB_STATUSES)
    return {
        "logs": _batched_delete(SyncLog.objects.filter(created_at__lt=logs_cutoff)),
        "notifications": _batched_delete(
            HullNotification.objects.filter(received_at__lt=inputs_cutoff).exclude(
                Exists(open_jobs.filter(notification=OuterRef("pk")))
            )
        ),
        "deliveries": _batched_delete(
            OutreachDelivery.objects.filter(received_at__lt=inputs_cutoff)
            .exclude(status=MessageStatus.PENDING)  # never processed yet: kept until it is
            .exclude(Exists(open_jobs.filter(pk=OuterRef("job_id"))))
        ),
        "jobs": _batched_delete(
            SyncJob.objects.filter(created_at__lt=inputs_cutoff).exclude(status__in=OPEN_JOB_STATUSES)
        ),
        "stats": _batched_delete(SyncStat.objects.filter(hour__lt=stats_cutoff)),
    }
