"""The hourly rollup of SyncLog outcomes (`SyncStat`): written by `sync_log`, read by the console.

Counting at write time costs one small UPDATE per log line and lets the connectors list, the
dashboards and the "errors in the last 24 hours" column read a few hundred rows instead of
scanning millions of log lines.
"""

from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from sync.models import SyncStat

DIRECTIONS = ("incoming", "outgoing")
OUTCOMES = ("success", "skip", "error")
# What a record is; `job` lines are rolled up too (errors column) but are not records.
RECORD_ENTITIES = ("user", "account", "event")


def event_parse(event: str) -> tuple[str, str, str] | None:
    """`incoming.user.success` → ("incoming", "user", "success"); None for lines that are not outcomes."""
    parts = event.split(".")
    if len(parts) != 3:
        return None
    direction, entity, outcome = parts
    if direction not in DIRECTIONS or outcome not in OUTCOMES or not entity:
        return None
    return direction, entity[:10], outcome


def hour_floor(at: datetime) -> datetime:
    return at.replace(minute=0, second=0, microsecond=0)


def sync_stat_increment(*, connector_id: int, event: str, at: datetime, by: int = 1) -> bool:
    """Count `by` log lines in their hour. Race-safe: UPDATE count+by, else INSERT, else UPDATE again."""
    key = event_parse(event)
    if key is None:
        return False
    direction, entity, outcome = key
    hour = hour_floor(at.astimezone(dt_timezone.utc))
    lookup = dict(connector_id=connector_id, hour=hour, direction=direction, entity=entity, outcome=outcome)
    if SyncStat.objects.filter(**lookup).update(count=F("count") + by, last_at=at):
        return True
    try:
        # A savepoint: on PostgreSQL a failed INSERT must not break the caller's transaction.
        with transaction.atomic():
            SyncStat.objects.create(**lookup, count=by, last_at=at)
    except IntegrityError:
        # Another writer inserted the row between our UPDATE and INSERT: it exists now.
        SyncStat.objects.filter(**lookup).update(count=F("count") + by, last_at=at)
    return True


def sync_stat_window(*, hours: int, now: datetime | None = None) -> tuple[datetime, datetime]:
    """The [first hour, last hour] of a window of `hours` hours ending with the current hour."""
    end = hour_floor((now or timezone.now()).astimezone(dt_timezone.utc))
    return end - timedelta(hours=hours - 1), end
