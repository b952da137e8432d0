"""Reads for the operator console. Each returns a queryset or plain data; none writes."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, IntegerField, Max, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from sync.choices import JobStatus
from sync.models import Connector, IdLink, SyncJob, SyncLog, SyncStat

WAITING_STATUSES = (JobStatus.QUEUED, JobStatus.RETRYING, JobStatus.WAITING)


def _stat_subquery(*, aggregate, **filters):
    stats = SyncStat.objects.filter(connector=OuterRef("pk"), **filters).order_by().values("connector")
    return Subquery(stats.annotate(v=aggregate).values("v")[:1])


def connector_list_annotated(queryset: QuerySet | None = None, *, now: datetime | None = None) -> QuerySet:
    """Connectors with what the list shows, in one query whatever their number (subqueries, no N+1).

    Adds: last_incoming_at, last_outgoing_at (newest record synced each way, from the rollup),
    errors_24h (error lines in the last 24 hours, from the rollup), jobs_waiting, jobs_running.
    """
    now = now or timezone.now()
    since = (now - timedelta(hours=24)).replace(minute=0, second=0, microsecond=0)
    queryset = Connector.objects.all() if queryset is None else queryset
    waiting = (
        SyncJob.objects.filter(connector=OuterRef("pk"), status__in=WAITING_STATUSES)
        .order_by()
        .values("connector")
        .annotate(n=Count("pk"))
        .values("n")[:1]
    )
    running = (
        SyncJob.objects.filter(connector=OuterRef("pk"), status=JobStatus.RUNNING)
        .order_by()
        .values("connector")
        .annotate(n=Count("pk"))
        .values("n")[:1]
    )
    return queryset.annotate(
        last_incoming_at=_stat_subquery(aggregate=Max("last_at"), direction="incoming", outcome="success"),
        last_outgoing_at=_stat_subquery(aggregate=Max("last_at"), direction="outgoing", outcome="success"),
        errors_24h=Coalesce(
            _stat_subquery(aggregate=Sum("count"), outcome="error", hour__gte=since),
            Value(0),
            output_field=IntegerField(),
        ),
        jobs_waiting=Coalesce(Subquery(waiting), Value(0), output_field=IntegerField()),
        jobs_running=Coalesce(Subquery(running), Value(0), output_field=IntegerField()),
    )


@dataclass(frozen=True)
class Subject:
    """One person or company, named the way staff search: an email, a domain, a Hull id or an Outreach id."""

    term: str

    @property
    def kind(self) -> str:
        term = self.term
        if "@" in term:
            return "email"
        if term.isdigit():
            return "outreach_id"
        if "." in term:
            return "domain"
        return "hull_id"

    def log_filter(self) -> Q:
        return subject_log_filter(self.term)


def subject_log_filter(term: str) -> Q:
    """Exact matches on the indexed SyncLog columns: fast on millions of lines."""
    term = term.strip()
    if not term:
        return Q(pk__in=[])
    q = Q(email=term.lower()) | Q(domain=term.lower()) | Q(hull_id=term)
    if term.isdigit() and len(term) < 19:
        q |= Q(outreach_id=int(term))
    return q


def subject_links(*, term: str, connector: Connector | None = None) -> list[IdLink]:
    """What we know ties this subject to the other side (both ids, the identity used)."""
    term = term.strip()
    if not term:
        return []
    q = Q(hull_id=term) | Q(identity=term.lower())
    if term.isdigit() and len(term) < 19:
        q |= Q(outreach_id=int(term))
    links = IdLink.objects.filter(q).select_related("connector").order_by("connector__name", "entity")
    if connector is not None:
        links = links.filter(connector=connector)
    return list(links[:50])


def subject_timeline(*, term: str, connector: Connector | None = None, limit: int = 500) -> list[SyncLog]:
    """Every log line about the subject, oldest first, both directions, across jobs.

    A subject is found by any of its names: the lines that mention the email also carry the Hull and
    Outreach ids, and the IdLinks tie them together, so the timeline follows the subject through
    lines that only name one of its ids.
    """
    terms = {term.strip()}
    for link in subject_links(term=term, connector=connector):
        terms |= {link.hull_id, str(link.outreach_id), link.identity}
    terms.discard("")
    q = Q(pk__in=[])
    for t in terms:
        q |= subject_log_filter(t)
    lines = SyncLog.objects.filter(q).select_related("connector", "job")
    if connector is not None:
        lines = lines.filter(connector=connector)
    newest = list(lines.order_by("-created_at", "-id")[:limit])
    return newest[::-1]
