from datetime import timedelta

import pytest
from django.utils import timezone

from sync import jobs
from sync.choices import AuthStatus, JobKind, JobStatus
from sync.errors import JobRetry, JobWaiting
from sync.jobs import job_create, job_run, jobs_recover
from sync.models import SyncJob, SyncLog

pytestmark = pytest.mark.django_db


@pytest.fixture
def handler(monkeypatch):
    """Point every job kind at one function the test controls."""
    calls = []
    behaviour = {"raise": None}

    def handle(job):
        calls.append(job.pk)
        job.succeeded += 2
        job.skipped += 1
        if behaviour["raise"]:
            raise behaviour["raise"]

    import sys
    import types

    module = types.ModuleType("fake_handlers")
    module.handle = handle
    monkeypatch.setitem(sys.modules, "fake_handlers", module)
    monkeypatch.setattr(jobs, "JOB_HANDLERS", {kind: "fake_handlers.handle" for kind in JobKind})
    return behaviour, calls


def events(job):
    return list(SyncLog.objects.filter(job=job).order_by("id").values_list("event", flat=True))


def test_a_successful_job_is_bracketed_by_start_and_success_lines_with_counts(connector, handler):
    job = job_create(connector=connector, kind=JobKind.OUTGOING, started_by="hull")

    job_run(job.pk)

    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert events(job) == ["outgoing.job.start", "outgoing.job.success"]
    assert SyncLog.objects.get(job=job, event="outgoing.job.success").payload["succeeded"] == 2


def test_incoming_jobs_log_incoming_job_lines(connector, handler):
    job = job_create(connector=connector, kind=JobKind.FETCH_ALL, started_by="alice")
    job_run(job.pk)
    assert events(job) == ["incoming.job.start", "incoming.job.success"]


def test_a_job_is_run_once_even_if_two_workers_receive_it(connector, handler):
    _, calls = handler
    job = job_create(connector=connector, kind=JobKind.OUTGOING, started_by="hull")

    job_run(job.pk)
    job_run(job.pk)

    assert calls == [job.pk]


def test_a_transient_failure_schedules_a_retry_with_backoff(connector, handler):
    behaviour, _ = handler
    behaviour["raise"] = JobRetry("Outreach answered 503")
    job = job_create(connector=connector, kind=JobKind.OUTGOING, started_by="hull")

    job_run(job.pk)

    job.refresh_from_db()
    assert job.status == JobStatus.RETRYING
    assert job.next_attempt_at > timezone.now() + timedelta(seconds=10)
    assert "503" in job.error


def test_a_job_that_exhausts_its_attempts_fails_visibly(connector, handler):
    behaviour, _ = handler
    behaviour["raise"] = JobRetry("Outreach answered 503")
    job = job_create(connector=connector, kind=JobKind.OUTGOING, started_by="hull")
    SyncJob.objects.filter(pk=job.pk).update(max_attempts=1)

    job_run(job.pk)

    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert "gave up after 1 attempts" in job.error
    assert events(job)[-1] == "outgoing.job.error"


def test_an_unexpected_error_fails_the_job_with_the_reason(connector, handler):
    behaviour, _ = handler
    behaviour["raise"] = KeyError("user")
    job = job_create(connector=connector, kind=JobKind.OUTGOING, started_by="hull")

    job_run(job.pk)

    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.error.startswith("KeyError")
    assert SyncLog.objects.get(job=job, event="outgoing.job.error").message.startswith("KeyError")


def test_a_job_waits_for_reauthorization_and_resumes_after_it(connector, handler):
    behaviour, calls = handler
    behaviour["raise"] = JobWaiting("Outreach needs re-authorization")
    connector.outreach_auth_status = AuthStatus.NEEDS_REAUTH
    connector.save()
    job = job_create(connector=connector, kind=JobKind.OUTGOING, started_by="hull")

    job_run(job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.WAITING

    jobs_recover()
    job.refresh_from_db()
    assert job.status == JobStatus.WAITING  # still not authorized: nothing runs in a loop

    connector.outreach_auth_status = AuthStatus.OK
    connector.save()
    behaviour["raise"] = None
    jobs_recover()
    job_run(job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert calls == [job.pk, job.pk]


def test_recover_revives_a_job_whose_worker_died(connector, handler):
    job = job_create(connector=connector, kind=JobKind.FETCH_ALL, started_by="alice")
    long_ago = timezone.now() - timedelta(hours=2)
    SyncJob.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, heartbeat_at=long_ago, attempts=1)

    assert jobs_recover()["revived"] == 1

    job.refresh_from_db()
    assert job.status == JobStatus.RETRYING
    job_run(job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED


def test_recover_enqueues_due_retries_and_lost_jobs(connector, handler, django_capture_on_commit_callbacks, monkeypatch):
    sent = []
    monkeypatch.setattr("django_q.tasks.async_task", lambda func, job_id, **kw: sent.append(job_id) or "t")
    due = job_create(connector=connector, kind=JobKind.OUTGOING, started_by="hull", enqueue=False)
    lost = job_create(connector=connector, kind=JobKind.OUTGOING, started_by="hull", enqueue=False)
    fresh = job_create(connector=connector, kind=JobKind.OUTGOING, started_by="hull", enqueue=False)
    SyncJob.objects.filter(pk=due.pk).update(status=JobStatus.RETRYING, next_attempt_at=timezone.now())
    SyncJob.objects.filter(pk=lost.pk).update(created_at=timezone.now() - timedelta(minutes=30))

    with django_capture_on_commit_callbacks(execute=True):
        counts = jobs_recover()

    assert counts["retried"] == 1 and counts["requeued"] == 1
    assert sorted(sent) == sorted([due.pk, lost.pk])
    assert fresh.pk not in sent
