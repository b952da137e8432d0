from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from unittest import mock

import pytest
from django.db import connection

from sync.logs import sync_log
from sync.models import SyncStat
from sync.stats import event_parse, sync_stat_increment

pytestmark = pytest.mark.django_db


def test_it_counts_outcome_lines_per_hour_direction_entity_and_outcome(connector):
    for _ in range(3):
        sync_log(connector=connector, event="incoming.user.success", email="ada@example.com")
    sync_log(connector=connector, event="outgoing.account.error", domain="acme.com", message="422")

    counts = {(s.direction, s.entity, s.outcome): s.count for s in SyncStat.objects.filter(connector=connector)}
    assert counts == {("incoming", "user", "success"): 3, ("outgoing", "account", "error"): 1}
    stat = SyncStat.objects.get(connector=connector, outcome="success")
    assert stat.hour.minute == 0 and stat.hour.second == 0
    assert stat.last_at == connector.logs.filter(event="incoming.user.success").first().created_at


def test_lines_that_are_not_outcomes_are_not_counted(connector):
    sync_log(connector=connector, event="incoming.job.start")
    sync_log(connector=connector, event="connector.oauth.error")
    assert not SyncStat.objects.exists()
    assert event_parse("incoming.job.start") is None
    assert event_parse("outgoing.job.error") == ("outgoing", "job", "error")


def test_lines_of_different_hours_go_to_different_rows(connector):
    at = datetime(2026, 1, 5, 9, 59, 59, tzinfo=dt_timezone.utc)
    sync_stat_increment(connector_id=connector.pk, event="incoming.user.skip", at=at)
    sync_stat_increment(connector_id=connector.pk, event="incoming.user.skip", at=at + timedelta(seconds=1))
    assert sorted(s.hour.hour for s in SyncStat.objects.all()) == [9, 10]


def test_a_row_inserted_by_another_writer_meanwhile_is_incremented_not_duplicated(connector):
    from django.db.models.query import QuerySet

    at = datetime(2026, 1, 5, 9, 30, tzinfo=dt_timezone.utc)
    # Another worker inserts the row right after our UPDATE found nothing: our INSERT then collides.
    SyncStat.objects.create(
        connector=connector, hour=at.replace(minute=0), direction="outgoing", entity="user",
        outcome="success", count=1, last_at=at,
    )
    real_update = QuerySet.update
    calls = []

    def first_update_sees_nothing(self, **kwargs):
        calls.append(kwargs)
        return 0 if len(calls) == 1 else real_update(self, **kwargs)

    with mock.patch.object(QuerySet, "update", first_update_sees_nothing):
        sync_stat_increment(connector_id=connector.pk, event="outgoing.user.success", at=at)

    assert len(calls) == 2
    assert SyncStat.objects.get().count == 2
    # The caller's transaction is still usable: a savepoint absorbed the failed INSERT.
    line = sync_log(connector=connector, event="outgoing.user.success")
    assert SyncStat.objects.get(hour=line.created_at.replace(minute=0, second=0, microsecond=0)).count == 1


@pytest.mark.django_db(transaction=True)
def test_parallel_writers_never_lose_a_count(connector):
    import threading

    if connection.vendor == "sqlite":
        pytest.skip("SQLite serialises writers; the race is exercised on PostgreSQL")
    at = datetime(2026, 1, 5, 9, 30, tzinfo=dt_timezone.utc)
    barrier = threading.Barrier(8)

    def write():
        from django.db import connection as thread_connection

        barrier.wait()
        for _ in range(25):
            sync_stat_increment(connector_id=connector.pk, event="incoming.user.success", at=at)
        thread_connection.close()

    threads = [threading.Thread(target=write) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert SyncStat.objects.get().count == 200
