from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.models import Schedule

from sync.choices import AuthStatus, JobKind, JobStatus
from sync.logs import sync_log
from sync.models import SyncJob, SyncLog
from sync.scheduling import connectors_tick, schedules_ensure
from sync.tasks import data_prune

pytestmark = pytest.mark.django_db


def test_schedules_are_installed_once_however_often_it_runs():
    schedules_ensure()
    schedules_ensure()
    assert set(Schedule.objects.values_list("name", flat=True)) == {
        "hullreach.jobs_recover",
        "hullreach.connectors_tick",
        "hullreach.data_prune",
    }


def test_the_tick_queues_a_recent_fetch_when_it_is_due_and_not_again_before(connector):
    assert connectors_tick() == 1
    assert SyncJob.objects.get().kind == JobKind.FETCH_RECENT

    SyncJob.objects.update(status=JobStatus.SUCCEEDED)
    assert connectors_tick() == 0  # five minutes have not passed

    SyncJob.objects.update(created_at=timezone.now() - timedelta(minutes=6))
    assert connectors_tick() == 1


def test_the_tick_leaves_paused_and_unauthorized_connectors_alone(connector):
    connector.paused = True
    connector.save()
    assert connectors_tick() == 0

    connector.paused = False
    connector.outreach_auth_status = AuthStatus.NEEDS_REAUTH
    connector.save()
    assert connectors_tick() == 0


def test_the_tick_polls_events_only_when_events_are_chosen(connector):
    connector.fetch_interval_minutes = 0
    connector.save()
    assert connectors_tick() == 0

    connector.events_to_fetch = ["message_opened"]
    connector.save()
    assert connectors_tick() == 1
    assert SyncJob.objects.get().kind == JobKind.FETCH_RECENT_EVENTS


def test_old_log_lines_are_pruned_after_the_retention_period(connector, settings):
    settings.SYNC_LOG_RETENTION_DAYS = 30
    old = sync_log(connector=connector, event="incoming.user.success", email="old@example.com")
    SyncLog.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=31))
    sync_log(connector=connector, event="incoming.user.success", email="new@example.com")

    assert data_prune()["logs"] == 1
    assert list(SyncLog.objects.values_list("email", flat=True)) == ["new@example.com"]


def test_log_payloads_lose_their_secrets(connector):
    line = sync_log(
        connector=connector,
        event="outgoing.user.error",
        payload={"data": {"email": "a@b.c"}, "access_token": "tok", "nested": [{"refresh_token": "r"}]},
    )
    assert line.payload == {"data": {"email": "a@b.c"}, "access_token": "[redacted]", "nested": [{"refresh_token": "[redacted]"}]}


def test_stored_inputs_and_finished_jobs_are_pruned_unless_an_open_job_needs_them(connector, settings):
    from sync.models import HullNotification, OutreachDelivery, SyncStat

    settings.SYNC_INPUT_RETENTION_DAYS = 14
    old = timezone.now() - timedelta(days=15)

    def notification(status):
        n = HullNotification.objects.create(connector=connector, channel="user:update", received_at=old)
        job = SyncJob.objects.create(connector=connector, kind=JobKind.OUTGOING, notification=n, status=status)
        SyncJob.objects.filter(pk=job.pk).update(created_at=old)
        return n

    done = notification(JobStatus.SUCCEEDED)
    waiting = notification(JobStatus.WAITING)
    fresh = HullNotification.objects.create(connector=connector, channel="user:update")
    processed = OutreachDelivery.objects.create(
        connector=connector, body={}, body_sha256="a", status="succeeded", received_at=old
    )
    unprocessed = OutreachDelivery.objects.create(connector=connector, body={}, body_sha256="b", received_at=old)
    SyncStat.objects.create(
        connector=connector, hour=timezone.now() - timedelta(days=100), direction="incoming", entity="user",
        outcome="success", count=3, last_at=timezone.now() - timedelta(days=100),
    )

    counts = data_prune()

    assert set(HullNotification.objects.values_list("pk", flat=True)) == {waiting.pk, fresh.pk}
    assert list(OutreachDelivery.objects.values_list("pk", flat=True)) == [unprocessed.pk]
    assert list(SyncJob.objects.values_list("status", flat=True)) == [JobStatus.WAITING]
    assert counts["notifications"] >= 1 and counts["deliveries"] == 1 and counts["stats"] == 1
    assert not SyncStat.objects.exists()
    assert done.pk not in HullNotification.objects.values_list("pk", flat=True)
    assert processed.pk not in OutreachDelivery.objects.values_list("pk", flat=True)
