"""The life of a SyncJob: create, enqueue, run, retry, wait, re-run, recover.

The SyncJob row is the source of truth; django-q only carries its id. So a task lost by the broker
(Redis has no receipts) or by a dead worker is found again by `jobs_recover`, which runs every minute.
"""

import logging
import random
import time
import traceback
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.module_loading import import_string

from sync.choices import INCOMING_KINDS, JobKind, JobStatus, Level
from sync.errors import JobRetry, JobWaiting, JobYield
from sync.logs import sync_log
from sync.models import Connector, SyncJob

logger = logging.getLogger(__name__)

# kind -> the function in sync/ that does the work, `handler(job) -> None`.
JOB_HANDLERS = {
    JobKind.OUTGOING: "sync.outgoing.outgoing_job_run",
    JobKind.HULL_BATCH: "sync.outgoing.outgoing_job_run",
    JobKind.SEND_TO_OUTREACH: "sync.outgoing.outgoing_job_run",
    JobKind.WEBHOOK: "sync.incoming.webhook_job_run",
    JobKind.FETCH_ACCOUNTS: "sync.fetch.fetch_job_run",
    JobKind.FETCH_PROSPECTS: "sync.fetch.fetch_job_run",
    JobKind.FETCH_ALL: "sync.fetch.fetch_job_run",
    JobKind.FETCH_RECENT: "sync.fetch.fetch_job_run",
    JobKind.FETCH_EVENTS: "sync.events.events_job_run",
    JobKind.FETCH_RECENT_EVENTS: "sync.events.events_job_run",
}

# A queued job nobody picked up for this long was lost by the broker: enqueue it again.
STALE_QUEUED_AFTER = timedelta(minutes=5)
BACKOFF_BASE_SECONDS = 30
BACKOFF_MAX_SECONDS = 3600
# A job hands its worker back after this share of django-q's task timeout (see JobYield).
SLICE_SHARE_OF_TIMEOUT = 0.6


def job_direction(job: SyncJob) -> str:
    return "incoming" if job.kind in INCOMING_KINDS else "outgoing"


def job_create(
    *,
    connector: Connector,
    kind: str,
    started_by: str,
    notification=None,
    delivery=None,
    params: dict | None = None,
    rerun_of: SyncJob | None = None,
    enqueue: bool = True,
) -> SyncJob:
    job = SyncJob.objects.create(
        connector=connector,
        kind=kind,
        started_by=started_by[:150],
        notification=notification,
        delivery=delivery,
        params=params or {},
        rerun_of=rerun_of,
    )
    if enqueue:
        job_enqueue(job)
    return job


def job_enqueue(job: SyncJob) -> None:
    """Hand the job id to django-q once the transaction that made the job has committed."""
    job_id = job.pk

    def send():
        from django_q.tasks import async_task

        try:
            task_id = async_task("sync.tasks.job_run", job_id, task_name=f"job-{job_id}", group=job.kind)
        except Exception:  # the broker is down: the job stays queued and jobs_recover retries
            logger.exception("could not enqueue job %s; jobs_recover will retry", job_id)
            return
        SyncJob.objects.filter(pk=job_id).update(task_id=str(task_id or "")[:64])

    transaction.on_commit(send)


def job_run(job_id: int) -> SyncJob | None:
    """Claim the job (compare-and-set), run its handler, record the outcome. Never raises."""
    now = timezone.now()
    claimed = SyncJob.objects.filter(
        pk=job_id, status__in=(JobStatus.QUEUED, JobStatus.RETRYING)
    ).update(status=JobStatus.RUNNING, attempts=F("attempts") + 1, heartbeat_at=now, error="")
    if claimed != 1:
        return None  # another worker has it, or it is finished
    job = SyncJob.objects.select_related("connector").get(pk=job_id)
    if job.started_at is None:
        job.started_at = now
        job.save(update_fields=["started_at"])
    direction = job_direction(job)
    sync_log(
        connector=job.connector,
        job=job,
        event=f"{direction}.job.start",
        level=Level.INFO,
        message=f"{job.get_kind_display()} started (attempt {job.attempts})",
        payload={"kind": job.kind, "attempt": job.attempts},
    )
    job.slice_ends_at = time.monotonic() + settings.Q_CLUSTER["timeout"] * SLICE_SHARE_OF_TIMEOUT
    try:
        handler = import_string(JOB_HANDLERS[job.kind])
        handler(job)
    except JobYield:
        job.attempts -= 1  # a slice is not an attempt
        _job_finish(job, JobStatus.QUEUED, "", finished=False)
        job_enqueue(job)
    except JobWaiting as exc:
        _job_finish(job, JobStatus.WAITING, str(exc), finished=False)
    except JobRetry as exc:
        if job.attempts >= job.max_attempts:
            _job_fail(job, f"{exc} (gave up after {job.attempts} attempts)")
        else:
            delay = exc.after_seconds if exc.after_seconds is not None else job_backoff_seconds(job.attempts)
            job.next_attempt_at = timezone.now() + timedelta(seconds=delay)
            _job_finish(job, JobStatus.RETRYING, str(exc), finished=False)
    except Exception as exc:
        logger.exception("job %s failed", job_id)
        _job_fail(job, f"{type(exc).__name__}: {exc}\n\n{traceback.format_exc(limit=8)}")
    else:
        _job_finish(job, JobStatus.SUCCEEDED, "", finished=True)
        sync_log(
            connector=job.connector,
            job=job,
            event=f"{direction}.job.success",
            message=f"{job.get_kind_display()}: {job.succeeded} succeeded, {job.skipped} skipped, {job.failed} failed",
            payload=job_counts(job),
        )
    return job


def job_slice_check(job: SyncJob) -> None:
    """Call between pages or chunks, after saving the checkpoint: raises JobYield when time is up."""
    ends_at = getattr(job, "slice_ends_at", None)
    if ends_at is not None and time.monotonic() >= ends_at:
        raise JobYield()


def job_backoff_seconds(attempt: int) -> float:
    """Exponential backoff with full jitter: 30 s, 60 s, 120 s, ... capped at an hour."""
    ceiling = min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(0, attempt - 1))
    return ceiling / 2 + random.uniform(0, ceiling / 2)


def job_counts(job: SyncJob) -> dict:
    return {
        "succeeded": job.succeeded,
        "skipped": job.skipped,
        "failed": job.failed,
        "progress_done": job.progress_done,
        "progress_total": job.progress_total,
    }


def job_save_progress(job: SyncJob) -> None:
    """Persist counts, progress and checkpoint; also the heartbeat that tells recover it is alive."""
    job.heartbeat_at = timezone.now()
    job.save(
        update_fields=[
            "progress_done",
            "progress_total",
            "succeeded",
            "skipped",
            "failed",
            "checkpoint",
            "heartbeat_at",
        ]
    )


def _job_finish(job: SyncJob, status: str, error: str, *, finished: bool) -> None:
    job.status = status
    job.error = error
    if finished:
        job.finished_at = timezone.now()
        job.next_attempt_at = None
    job.heartbeat_at = timezone.now()
    job.save()


def _job_fail(job: SyncJob, error: str) -> None:
    _job_finish(job, JobStatus.FAILED, error, finished=True)
    sync_log(
        connector=job.connector,
        job=job,
        event=f"{job_direction(job)}.job.error",
        message=error.split("\n", 1)[0],
        payload={**job_counts(job), "error": error},
    )


def job_rerun(job: SyncJob, *, started_by: str) -> SyncJob:
    """A new attempt with the same input. Outgoing handlers resend only messages not yet done."""
    return job_create(
        connector=job.connector,
        kind=job.kind,
        started_by=started_by,
        notification=job.notification,
        delivery=job.delivery,
        params=job.params,
        rerun_of=job,
    )


def jobs_resume_waiting(connector: Connector) -> int:
    """After re-authorization: every job that waited for it runs again."""
    waiting = list(SyncJob.objects.filter(connector=connector, status=JobStatus.WAITING))
    for job in waiting:
        SyncJob.objects.filter(pk=job.pk, status=JobStatus.WAITING).update(status=JobStatus.QUEUED)
        job_enqueue(job)
    return len(waiting)


def jobs_recover() -> dict:
    """Every minute: retry what is due, re-enqueue what the broker lost, revive what a dead worker held."""
    now = timezone.now()
    counts = {"retried": 0, "requeued": 0, "revived": 0, "resumed": 0}
    for job in SyncJob.objects.filter(status=JobStatus.RETRYING, next_attempt_at__lte=now):
        job_enqueue(job)
        counts["retried"] += 1
    stale = now - STALE_QUEUED_AFTER
    for job in SyncJob.objects.filter(status=JobStatus.QUEUED, created_at__lte=stale).filter(
        heartbeat_at__isnull=True
    ) | SyncJob.objects.filter(status=JobStatus.QUEUED, heartbeat_at__lte=stale):
        SyncJob.objects.filter(pk=job.pk).update(heartbeat_at=now)
        job_enqueue(job)
        counts["requeued"] += 1
    dead_after = now - timedelta(seconds=settings.Q_CLUSTER["timeout"] + 60)
    for job in SyncJob.objects.filter(status=JobStatus.RUNNING, heartbeat_at__lte=dead_after):
        if SyncJob.objects.filter(pk=job.pk, status=JobStatus.RUNNING, heartbeat_at__lte=dead_after).update(
            status=JobStatus.RETRYING, next_attempt_at=now, error="the worker stopped while running this job"
        ):
            counts["revived"] += 1
    for connector in Connector.objects.filter(jobs__status=JobStatus.WAITING).distinct():
        if connector.is_authorized:
            counts["resumed"] += jobs_resume_waiting(connector)
    return counts
