"""Periodic work per connector, decided once a minute by one schedule (not one schedule per connector)."""

from datetime import timedelta

from django.db.models import Max
from django.utils import timezone
from django_q.models import Schedule

from sync.choices import OPEN_JOB_STATUSES, JobKind
from sync.models import Connector, SyncJob

# name -> (function, minutes). Idempotent: `schedules_ensure` runs on every deploy.
SCHEDULES = {
    "hullreach.jobs_recover": ("sync.tasks.jobs_recover", 1),
    "hullreach.connectors_tick": ("sync.tasks.connectors_tick", 1),
    "hullreach.data_prune": ("sync.tasks.data_prune", 24 * 60),
}


def schedules_ensure() -> None:
    Schedule.objects.filter(name__startswith="hullreach.").exclude(name__in=SCHEDULES).delete()  # renamed ones
    for name, (func, minutes) in SCHEDULES.items():
        Schedule.objects.update_or_create(
            name=name,
            defaults={"func": func, "schedule_type": Schedule.MINUTES, "minutes": minutes, "repeats": -1},
        )


def connector_periodic_kinds(connector: Connector) -> dict[str, int]:
    """Which periodic jobs this connector wants, and every how many minutes."""
    kinds = {JobKind.FETCH_RECENT: connector.fetch_interval_minutes}
    if connector.events_to_fetch:
        kinds[JobKind.FETCH_RECENT_EVENTS] = 5
    return {kind: minutes for kind, minutes in kinds.items() if minutes}


def connectors_tick() -> int:
    """Create the periodic jobs that are due. A paused or unauthorized connector gets none."""
    from sync.jobs import job_create

    from sync.console_outreach import webhooks_upkeep_enqueue

    webhooks_upkeep_enqueue()  # webhooks last checked over an hour ago, checked by a worker
    created = 0
    now = timezone.now()
    for connector in Connector.objects.filter(paused=False):
        if not connector.is_authorized:
            continue
        for kind, minutes in connector_periodic_kinds(connector).items():
            jobs = SyncJob.objects.filter(connector=connector, kind=kind)
            if jobs.filter(status__in=OPEN_JOB_STATUSES).exists():
                continue
            last = jobs.aggregate(last=Max("created_at"))["last"]
            if last and last > now - timedelta(minutes=minutes):
                continue
            job_create(connector=connector, kind=kind, started_by="schedule")
            created += 1
    return created
