"""Fetches from Outreach into Hull: all, resumable, and recently changed."""

from datetime import timedelta

import pytest
from django.utils import timezone

from sync import fetch
from sync.choices import Direction, Entity, JobKind, JobStatus
from sync.jobs import job_create, job_run, jobs_recover
from sync.models import AttributeMapping, IdLink, SyncJob, SyncLog
from sync.models import Connector

pytestmark = pytest.mark.django_db


def list_requests(outreach, collection):
    return outreach.requests_to("GET", f"/{collection}")


def fetch_job(connector, kind):
    return job_create(connector=connector, kind=kind, started_by="test", enqueue=False)


@pytest.fixture
def linked(connector):
    connector.link_users_in_hull = True
    connector.save()
    return connector


def test_fetch_all_reads_2500_prospects_and_600_accounts_in_3_plus_1_pages_and_writes_each_once(
    linked, outreach, hull
):
    outreach.seed(prospects=2500, accounts=600)
    job = fetch_job(linked, JobKind.FETCH_ALL)

    job = job_run(job.pk)

    assert job.status == JobStatus.SUCCEEDED, job.error
    assert len(list_requests(outreach, "accounts")) == 1
    assert len(list_requests(outreach, "prospects")) == 3
    assert [r.query.get("page[size]") for r in list_requests(outreach, "accounts")] == ["1000"]
    assert outreach.requests_to("GET", "/users") == [] and outreach.requests_to("GET", "/stages") == []
    assert job.succeeded == 3100 and job.progress_done == 3100
    assert job.progress_total == 3100  # from meta.count on each phase's first page, no extra request
    assert [r.query.get("count") for r in list_requests(outreach, "prospects")] == ["true", "false", "false"]
    assert IdLink.objects.filter(entity=Entity.USER).count() == 2500
    assert IdLink.objects.filter(entity=Entity.ACCOUNT).count() == 600
    assert len(hull.users()) == 2500
    assert len(hull.accounts()) == 600  # shells from links merged into the fetched accounts
    ada = hull.users()[0]
    assert ada.account is not None and ada.email
    assert SyncLog.objects.filter(event="incoming.user.success").count() == 2500


def test_the_users_and_stages_maps_are_read_only_when_mapped(connector, outreach, hull):
    outreach.seed(prospects=5, accounts=1)
    AttributeMapping.objects.create(
        connector=connector, entity=Entity.USER, direction=Direction.INCOMING, hull="outreach/owner_email", service="ownerEmail"
    )
    AttributeMapping.objects.create(
        connector=connector, entity=Entity.USER, direction=Direction.INCOMING, hull="outreach/stage", service="stageName"
    )

    job_run(fetch_job(connector, JobKind.FETCH_PROSPECTS).pk)

    assert len(outreach.requests_to("GET", "/users")) == 1
    assert len(outreach.requests_to("GET", "/stages")) == 1
    traits = hull.users()[0].traits
    assert traits["outreach/owner_email"].endswith("@sandbox.outreach.test")
    assert traits["outreach/stage"]


class WorkerKilled(BaseException):
    """What a SIGKILL looks like from inside the job: nothing after it runs."""


def test_a_fetch_killed_after_its_second_page_resumes_without_rereading_or_duplicating(
    connector, outreach, hull, monkeypatch
):
    outreach.seed(prospects=2500, accounts=0)
    job = fetch_job(connector, JobKind.FETCH_PROSPECTS)
    saves = {"n": 0}
    real_save = fetch.job_save_progress

    def save_then_die(job):
        real_save(job)
        saves["n"] += 1
        if saves["n"] == 2:
            raise WorkerKilled

    monkeypatch.setattr(fetch, "job_save_progress", save_then_die)
    with pytest.raises(WorkerKilled):
        job_run(job.pk)
    monkeypatch.setattr(fetch, "job_save_progress", real_save)
    assert len(list_requests(outreach, "prospects")) == 2
    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING and job.progress_done == 2000

    SyncJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))
    assert jobs_recover()["revived"] == 1
    job = job_run(job.pk)

    assert job.status == JobStatus.SUCCEEDED
    assert len(list_requests(outreach, "prospects")) == 3  # only the third page was read again
    assert job.progress_done == 2500 and job.succeeded == 2500
    assert len(hull.users()) == 2500
    assert SyncLog.objects.filter(event="incoming.user.success").count() == 2500


def test_a_recent_fetch_picks_up_a_change_no_webhook_told_us_about(connector, outreach, hull):
    outreach.seed(prospects=3, accounts=1)
    job_run(fetch_job(connector, JobKind.FETCH_RECENT).pk)
    connector.refresh_from_db()
    assert connector.prospects_fetched_until is not None
    before = connector.prospects_fetched_until

    prospect = outreach.all("prospect")[1]
    outreach.deliver = None  # the webhook is lost
    outreach.clock.advance(600)
    outreach.change("prospect", prospect["id"], {"title": "Grand Moff"})
    AttributeMapping.objects.create(
        connector=connector, entity=Entity.USER, direction=Direction.INCOMING, hull="outreach/title", service="title"
    )

    job = job_run(fetch_job(connector, JobKind.FETCH_RECENT).pk)

    assert job.status == JobStatus.SUCCEEDED
    assert hull.find_user(anonymous_id=f"outreach:{prospect['id']}").traits["outreach/title"] == "Grand Moff"
    [query] = [r.query for r in list_requests(outreach, "prospects")][-1:]
    assert query["sort"] == "updatedAt" and query["filter[updatedAt]"].endswith("..inf")
    connector.refresh_from_db()
    assert connector.prospects_fetched_until > before


def test_a_failed_recent_fetch_does_not_advance_the_watermark(connector, outreach, hull):
    outreach.seed(prospects=3, accounts=1)
    job_run(fetch_job(connector, JobKind.FETCH_RECENT).pk)
    connector.refresh_from_db()
    watermark = connector.prospects_fetched_until
    outreach.clock.advance(600)
    outreach.change("prospect", outreach.all("prospect")[0]["id"], {"title": "Changed"})
    outreach.fault_add("/prospects", method="GET", status=503, times=10)

    job = job_run(fetch_job(connector, JobKind.FETCH_RECENT).pk)

    assert job.status == JobStatus.RETRYING
    connector.refresh_from_db()
    assert connector.prospects_fetched_until == watermark


def test_the_command_line_fetch_runs_the_job_and_reports(connector, outreach, hull, capsys):
    from django.core.management import call_command

    outreach.seed(prospects=4, accounts=2)
    call_command("connector", "fetch", "acme", "--prospects")

    assert "succeeded: 4 succeeded" in capsys.readouterr().out
    assert len(hull.users()) == 4
    assert Connector.objects.get().jobs.get().kind == JobKind.FETCH_PROSPECTS


def test_a_long_fetch_runs_in_slices_that_hand_the_worker_back_without_spending_attempts(
    connector, outreach, hull, monkeypatch, run_jobs
):
    from sync import jobs

    outreach.seed(prospects=2500, accounts=0)
    monkeypatch.setattr(jobs, "SLICE_SHARE_OF_TIMEOUT", 0)  # every page ends the slice
    job = job_create(connector=connector, kind=JobKind.FETCH_PROSPECTS, started_by="test", enqueue=False)

    ran = run_jobs()

    assert [j.pk for j in ran] == [job.pk] * 3
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED and job.attempts == 1
    assert job.succeeded == 2500
    assert len(list_requests(outreach, "prospects")) == 3
    assert len(hull.users()) == 2500
