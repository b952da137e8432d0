"""The job id really travels through the configured django-q broker (ORM here, Redis in production)."""

import sys
import types

import pytest
from django.conf import settings
from django.utils.module_loading import import_string
from django_q.brokers import get_broker
from django_q.signing import SignedPackage

from sync import jobs
from sync.choices import JobKind, JobStatus
from sync.jobs import job_create

pytestmark = pytest.mark.django_db


def test_a_queued_job_goes_through_the_configured_broker_and_a_worker_runs_it(
    connector, django_capture_on_commit_callbacks, monkeypatch
):
    ran = []
    module = types.ModuleType("broker_handlers")
    module.handle = lambda job: ran.append(job.pk)
    monkeypatch.setitem(sys.modules, "broker_handlers", module)
    monkeypatch.setattr(jobs, "JOB_HANDLERS", {JobKind.FETCH_RECENT: "broker_handlers.handle"})
    broker = get_broker()
    broker.purge_queue()
    assert type(broker).__name__ == ("Redis" if settings.REDIS_URL else "ORM")

    with django_capture_on_commit_callbacks(execute=True):
        job = job_create(connector=connector, kind=JobKind.FETCH_RECENT, started_by="test")

    [(ack_id, payload)] = broker.dequeue()
    task = SignedPackage.loads(payload)
    assert (task["func"], task["args"]) == ("sync.tasks.job_run", (job.pk,))
    import_string(task["func"])(*task["args"])  # what a qcluster worker does with it
    broker.acknowledge(ack_id)

    job.refresh_from_db()
    assert ran == [job.pk]
    assert job.status == JobStatus.SUCCEEDED
    assert job.task_id == task["id"]
