from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.models import Schedule

from sync.choices import AuthStatus, JobKind, JobStatus
from sync.logs import sync_log
from sync.models import SyncJob, SyncLog
from sync.scheduling import connectors_tick, schedules_ensure
from sync.tasks import logs_prune

pytestmark = pytest.mark.django_db


def test_schedules_are_installed_once_however_often_it_runs():
    schedules_ensure()
    schedules_ensure()
    assert set(Schedule.objects.values_list("name", flat=True)) == {
        "hullreach.jobs_recover",
        "hullreach.connectors_tick",
        "hullreach.logs_prune",
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

    assert logs_prune() == 1
    assert list(SyncLog.objects.values_list("email", flat=True)) == ["new@example.com"]


def test_log_payloads_lose_their_secrets(connector):
    line = sync_log(
        connector=connector,
        event="outgoing.user.error",
        payload={"data": {"email": "a@b.c"}, "access_token": "tok", "nested": [{"refresh_token": "r"}]},
    )
    assert line.payload == {"data": {"email": "a@b.c"}, "access_token": "[redacted]", "nested": [{"refresh_token": "[redacted]"}]}
