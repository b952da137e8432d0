"""What the console's buttons do. Admin views and actions only call these."""

import math
import re
from dataclasses import dataclass

from django.conf import settings

from sync import console_hooks, fetch
from sync.choices import JobKind
from sync.jobs import job_create
from sync.models import Connector, SyncJob

FETCH_KINDS = (JobKind.FETCH_ACCOUNTS, JobKind.FETCH_PROSPECTS, JobKind.FETCH_ALL, JobKind.FETCH_RECENT,
               JobKind.FETCH_EVENTS)
# Fetches that read every record: staff confirm them, they take a share of the hourly budget.
COSTLY_FETCH_KINDS = (JobKind.FETCH_ACCOUNTS, JobKind.FETCH_PROSPECTS, JobKind.FETCH_ALL, JobKind.FETCH_EVENTS)
# A fetch reads this many records per Outreach request (sync/fetch.py).
FETCH_PAGE_SIZE = fetch.PAGE_SIZE
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class FetchEstimate:
    records: int | None  # None: the count is not known
    requests: int | None
    budget_per_hour: int

    @property
    def budget_share(self) -> float | None:
        if self.requests is None or not self.budget_per_hour:
            return None
        return self.requests / self.budget_per_hour

    @property
    def summary(self) -> str:
        if self.records is None:
            return (
                "Outreach has not reported how many records this reads, so its share of the hourly budget "
                f"({self.budget_per_hour:,} requests) is unknown. It reads {FETCH_PAGE_SIZE} records per request."
            )
        share = self.budget_share or 0
        hours = math.ceil(share) if share > 1 else None
        percent = f"{share:.0%}" if share >= 0.01 else f"{share:.1%}"
        text = (
            f"Outreach reports {self.records:,} records: about {self.requests:,} requests, "
            f"{percent} of the hourly budget of {self.budget_per_hour:,} requests."
        )
        if hours:
            text += f" It will be paced over about {hours} hours."
        return text


def fetch_estimate(*, connector: Connector, kind: str) -> FetchEstimate:
    records = console_hooks.record_count(connector=connector, kind=kind)
    requests = None if records is None else max(1, math.ceil(records / FETCH_PAGE_SIZE))
    return FetchEstimate(records=records, requests=requests, budget_per_hour=settings.OUTREACH_RATE_LIMIT_PER_HOUR)


def connector_fetch_start(*, connector: Connector, kind: str, started_by: str) -> SyncJob:
    if kind not in FETCH_KINDS:
        raise ValueError(f"not a fetch: {kind}")
    return job_create(connector=connector, kind=kind, started_by=started_by)


def connector_pause_set(*, connector: Connector, paused: bool) -> bool:
    """Pause or resume; True if it changed."""
    changed = Connector.objects.filter(pk=connector.pk).exclude(paused=paused).update(paused=paused)
    connector.paused = paused
    return bool(changed)


def send_targets_parse(*, text: str) -> tuple[list[str], list[str]]:
    """Hull ids and emails typed by staff, separated by commas, spaces or lines. Emails lowercased."""
    hull_ids, emails = [], []
    for token in re.split(r"[\s,;]+", text.strip()):
        if not token:
            continue
        if "@" in token:
            if not EMAIL_RE.match(token):
                raise ValueError(f"{token!r} is not an email address")
            if token.lower() not in emails:
                emails.append(token.lower())
        elif token not in hull_ids:
            hull_ids.append(token)
    if not hull_ids and not emails:
        raise ValueError("Type at least one Hull id or email.")
    return hull_ids, emails


def connector_send_to_outreach(*, connector: Connector, text: str, started_by: str) -> SyncJob:
    hull_ids, emails = send_targets_parse(text=text)
    return job_create(
        connector=connector,
        kind=JobKind.SEND_TO_OUTREACH,
        started_by=started_by,
        params={"hull_ids": hull_ids, "emails": emails},
    )
