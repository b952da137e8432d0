"""Dashboards: their numbers are the log lines they summarise, read from the rollup only."""

import random
import re
from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from sync import console_hooks
from sync.dashboard import dashboard_series
from sync.logs import sync_log
from sync.models import Connector, SyncLog

pytestmark = pytest.mark.django_db

EVENTS = [
    f"{d}.{e}.{o}" for d in ("incoming", "outgoing") for e in ("user", "account") for o in ("success", "skip", "error")
] + ["incoming.job.start", "outgoing.job.error", "incoming.webhook.skip"]


def log_at(connector, event, at):
    with mock.patch("sync.logs.timezone.now", return_value=at):
        return sync_log(connector=connector, event=event, email="x@example.com")


@pytest.fixture
def history(connector):
    """A week of random lines on acme, and some on another connector."""
    rng = random.Random(7)
    other = Connector.objects.create(name="initech", hull_id="h2", hull_organization="i.hullapp.io")
    now = timezone.now()
    for _ in range(400):
        at = now - timedelta(minutes=rng.randrange(0, 8 * 24 * 60))  # some older than the 7-day window
        log_at(rng.choice([connector, connector, other]), rng.choice(EVENTS), at)
    return connector, other, now


def expected_from_logs(*, connector, direction, outcome, now):
    first_hour = (now - timedelta(hours=7 * 24 - 1)).replace(minute=0, second=0, microsecond=0)
    lines = SyncLog.objects.filter(
        created_at__gte=first_hour, event__in=[f"{direction}.{e}.{outcome}" for e in ("user", "account", "event")]
    )
    if connector is not None:
        lines = lines.filter(connector=connector)
    return lines


def test_the_hourly_numbers_match_the_log_lines_they_summarise(history):
    connector, _, now = history
    for scope in (connector, None):
        for series in dashboard_series(connector=scope, now=now):
            for outcome, counts in series.counts.items():
                lines = expected_from_logs(connector=scope, direction=series.direction, outcome=outcome, now=now)
                per_hour = {}
                for at in lines.values_list("created_at", flat=True):
                    hour = at.replace(minute=0, second=0, microsecond=0)
                    per_hour[hour] = per_hour.get(hour, 0) + 1
                assert {h: c for h, c in zip(series.hours, counts) if c} == per_hour
                assert len(counts) == 168


def test_the_page_shows_totals_per_direction_that_match_the_logs(staff_client, history):
    connector, _, now = history
    html = staff_client.get(reverse("admin:sync_connector_dashboard", args=[connector.pk])).content.decode()
    shown = re.findall(r'<td data-outcome="(\w+)">(\d+)</td>', html)
    expected = [
        (outcome, str(expected_from_logs(connector=connector, direction=d, outcome=outcome, now=now).count()))
        for d in ("incoming", "outgoing")
        for outcome in ("success", "skip", "error")
    ]
    assert shown == expected
    assert html.count("<svg") >= 2 and "<polyline" in html
    assert "Outreach → Hull" in html and "Hull → Outreach" in html
    assert "cdn" not in html.lower() and "<script src=\"http" not in html


def test_the_dashboard_never_reads_the_log_table(staff_client, history):
    connector, _, _ = history
    for url in (reverse("admin:sync_connector_dashboard", args=[connector.pk]), reverse("admin:sync_dashboard")):
        with CaptureQueriesContext(connection) as ctx:
            assert staff_client.get(url).status_code == 200
        assert not [q for q in ctx.captured_queries if "sync_synclog" in q["sql"]], url


def test_the_budget_is_shown_when_the_outreach_side_reports_it(staff_client, connector):
    url = reverse("admin:sync_connector_dashboard", args=[connector.pk])
    assert "Not available: the Outreach client has not reported its request budget." in staff_client.get(url).content.decode()
    console_hooks.budget_reader_set(lambda *, connector: (1234, 10000))
    try:
        assert "1234 of 10000 requests used this hour." in staff_client.get(url).content.decode()
    finally:
        console_hooks.budget_reader_set(None)


def test_the_overview_lists_every_connector_with_its_errors(staff_client, history):
    connector, other, _ = history
    html = staff_client.get(reverse("admin:sync_dashboard")).content.decode()
    assert reverse("admin:sync_connector_dashboard", args=[connector.pk]) in html
    assert reverse("admin:sync_connector_dashboard", args=[other.pk]) in html
