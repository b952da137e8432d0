"""What hullreach does with a notification Hull sent: store it (with its messages) and queue its job.

Everything answered 200 is in the database first, in the same transaction as its SyncJob; the job is
enqueued on commit. A redelivered notification (same notification_id) is recognised and not stored
twice. /batch exports are stored as a URL and turned into HullMessage rows by the job
(`notification_batch_materialise`), streamed, in chunks, resumable after a crash.
"""

from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from connectors.hull.http import BatchFileError, batch_file_lines
from connectors.hull.messages import ParsedBatch, ParsedNotification, batch_line_normalise, message_hull_id
from sync.choices import AuthStatus, Entity, JobKind, MessageStatus
from sync.errors import JobRetry
from sync.jobs import job_create
from sync.models import Connector, HullMessage, HullNotification, SeenAttribute, SeenSegment

MATERIALISE_CHUNK = 500
# Attribute keys that are identity plumbing, not attributes staff map.
NOT_ATTRIBUTES = {"segment_ids", "anonymous_ids", "indexed_at", "updated_at", "created_at"}


@dataclass
class Refusal:
    """Why the connector cannot take a notification now; Hull is told to redeliver later."""

    reason: str
    transient: bool


def connector_backlog(*, connector: Connector) -> int:
    """Messages stored and not yet processed for this connector."""
    return HullMessage.objects.filter(notification__connector=connector, status=MessageStatus.PENDING).count()


def connector_intake_refusal(*, connector: Connector) -> Refusal | None:
    """None when the connector can take work now; else why not (paused, re-authorization, backlog)."""
    if connector.paused:
        return Refusal("The connector is paused in hullreach.", transient=False)
    if connector.outreach_auth_status == AuthStatus.NEEDS_REAUTH:
        return Refusal("Outreach needs to be re-authorized in hullreach.", transient=False)
    if connector_backlog(connector=connector) > settings.HULL_BACKLOG_LIMIT:
        return Refusal(
            f"More than {settings.HULL_BACKLOG_LIMIT} messages are waiting to be processed.", transient=True
        )
    return None


def notification_already_stored(*, connector: Connector, notification_id: str) -> bool:
    if not notification_id:
        return False
    return HullNotification.objects.filter(connector=connector, notification_id=notification_id).exists()


def segments_remember(*, connector: Connector, user_segments: list[dict], account_segments: list[dict]) -> None:
    """Upsert the segment ids and names Hull sent, so staff pick segments by name."""
    now = timezone.now()
    rows = {}
    for entity, segments in ((Entity.USER, user_segments), (Entity.ACCOUNT, account_segments)):
        for segment in segments:
            hull_id, name = str(segment.get("id") or "")[:64], str(segment.get("name") or "")[:255]
            if hull_id and name:
                rows[(entity, hull_id)] = SeenSegment(
                    connector=connector, entity=entity, hull_id=hull_id, name=name, last_seen_at=now
                )
    if rows:
        SeenSegment.objects.bulk_create(
            rows.values(),
            update_conflicts=True,
            unique_fields=["connector", "entity", "hull_id"],
            update_fields=["name", "last_seen_at"],
        )


def attributes_remember(*, connector: Connector, messages: list[dict]) -> None:
    """Record the user and account attribute names seen (without traits_ prefixes)."""
    names = set()
    for message in messages:
        for entity in (Entity.USER, Entity.ACCOUNT):
            for name in (message.get(entity) or {}).keys():
                if name not in NOT_ATTRIBUTES and len(name) <= 255:
                    names.add((entity, name))
    if names:
        SeenAttribute.objects.bulk_create(
            [SeenAttribute(connector=connector, entity=e, name=n) for e, n in sorted(names)], ignore_conflicts=True
        )


def notification_store(*, connector: Connector, parsed: ParsedNotification) -> tuple[HullNotification, bool]:
    """Store a smart-notifier batch and queue its job. Returns (notification, created)."""
    try:
        with transaction.atomic():
            notification = HullNotification.objects.create(
                connector=connector,
                notification_id=parsed.notification_id,
                source=HullNotification.Source.SMART_NOTIFIER,
                channel=parsed.channel,
                is_export=parsed.is_export,
                message_count=len(parsed.messages),
            )
            entity = parsed.entity
            HullMessage.objects.bulk_create(
                [
                    HullMessage(
                        notification=notification,
                        position=position,
                        entity=entity,
                        hull_id=message_hull_id(message, entity=entity),
                        body=message,
                    )
                    for position, message in enumerate(parsed.messages)
                ],
                batch_size=500,
            )
            segments_remember(
                connector=connector, user_segments=parsed.user_segments, account_segments=parsed.account_segments
            )
            attributes_remember(connector=connector, messages=parsed.messages)
            job_create(connector=connector, kind=JobKind.OUTGOING, started_by="hull", notification=notification)
    except IntegrityError:
        # The same notification_id arrived twice at once: the other request stored it.
        existing = HullNotification.objects.filter(connector=connector, notification_id=parsed.notification_id)
        if parsed.notification_id and existing.exists():
            return existing.get(), False
        raise
    return notification, True


def batch_store(
    *, connector: Connector, parsed: ParsedBatch, segment_id: str = ""
) -> tuple[HullNotification, bool]:
    """Store a /batch export request (its URL; the job downloads it) and queue its job."""
    try:
        with transaction.atomic():
            notification = HullNotification.objects.create(
                connector=connector,
                notification_id=parsed.notification_id,
                source=HullNotification.Source.BATCH,
                channel=f"{parsed.entity}:update",
                is_export=True,
                url=parsed.url,
                object_type=parsed.object_type,
            )
            segments_remember(
                connector=connector, user_segments=parsed.user_segments, account_segments=parsed.account_segments
            )
            job_create(
                connector=connector,
                kind=JobKind.HULL_BATCH,
                started_by="hull",
                notification=notification,
                params={"segment_id": segment_id} if segment_id else {},
            )
    except IntegrityError:
        existing = HullNotification.objects.filter(connector=connector, notification_id=parsed.notification_id)
        if parsed.notification_id and existing.exists():
            return existing.get(), False
        raise
    return notification, True


def notification_batch_materialise(notification: HullNotification, *, chunk_size: int = MATERIALISE_CHUNK) -> int:
    """Turn a /batch notification's JSON-lines file into HullMessage rows. Returns the message count.

    Streams the file (constant memory) and commits every `chunk_size` lines. Idempotent: rows already
    committed by an interrupted run are skipped by position, and a finished file is not downloaded
    again. A line that is not a JSON object becomes a failed message naming the line.
    Raises JobRetry when the file cannot be downloaded (the job runs again later).
    """
    if notification.source != HullNotification.Source.BATCH:
        return notification.messages.count()
    if notification.message_count:
        return notification.message_count
    entity = Entity.ACCOUNT if notification.object_type.startswith("account") else Entity.USER
    segments_by_id = {
        s.hull_id: {"id": s.hull_id, "name": s.name}
        for s in SeenSegment.objects.filter(connector=notification.connector, entity=entity)
    }
    job = notification.jobs.order_by("id").first()
    segment_id = str((job.params if job else {}).get("segment_id") or "")
    done = notification.messages.count()
    chunk: list[HullMessage] = []
    seen_lines = done

    def commit():
        with transaction.atomic():
            HullMessage.objects.bulk_create(chunk)
            attributes_remember(connector=notification.connector, messages=[m.body for m in chunk if m.body])
        chunk.clear()

    try:
        for number, line, error in batch_file_lines(notification.url):
            seen_lines = number + 1
            if number < done:
                continue
            if line is None:
                chunk.append(
                    HullMessage(
                        notification=notification, position=number, entity=entity, body={},
                        status=MessageStatus.FAILED, error=error,
                    )
                )
            else:
                message = batch_line_normalise(line, entity=entity, segments_by_id=segments_by_id, segment_id=segment_id)
                chunk.append(
                    HullMessage(
                        notification=notification, position=number, entity=entity,
                        hull_id=message_hull_id(message, entity=entity), body=message,
                    )
                )
            if len(chunk) >= chunk_size:
                commit()
        if chunk:
            commit()
    except BatchFileError as exc:
        raise JobRetry(f"Hull export file: {exc}") from exc
    notification.message_count = seen_lines
    notification.save(update_fields=["message_count"])
    return seen_lines
