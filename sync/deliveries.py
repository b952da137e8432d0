"""Outreach webhook deliveries: store before acknowledging, recognise duplicates, queue one drain job."""

import hashlib
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from sync.choices import JobKind, JobStatus, MessageStatus
from sync.models import Connector, OutreachDelivery, SyncJob

# Outreach retries on network errors; a delivery with the same body for the same resource inside
# this window is the same event arriving again (older payloads carry no event id header).
DUPLICATE_WINDOW = timedelta(minutes=10)


class DeliveryInvalid(ValueError):
    """The body is JSON but not an Outreach webhook payload."""


def delivery_parse(body) -> tuple[str, int | None, str]:
    """(resource type, resource id, event name) of a webhook payload, or DeliveryInvalid."""
    if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
        raise DeliveryInvalid("body must be an object with a data object")
    data = body["data"]
    resource_type = data.get("type")
    if not isinstance(resource_type, str) or not resource_type:
        raise DeliveryInvalid("data.type is missing")
    resource_id = data.get("id")
    try:
        resource_id = int(resource_id) if resource_id is not None else None
    except (TypeError, ValueError) as exc:
        raise DeliveryInvalid("data.id must be an integer") from exc
    meta = body.get("meta") if isinstance(body.get("meta"), dict) else {}
    event_name = meta.get("eventName") if isinstance(meta.get("eventName"), str) else ""
    return resource_type, resource_id, event_name


def delivery_store(*, connector: Connector, raw_body: bytes, body: dict, event_id: str = "") -> tuple[OutreachDelivery, bool]:
    """Store a verified delivery and make sure a job will drain it. Returns (delivery, created)."""
    resource_type, resource_id, event_name = delivery_parse(body)
    digest = hashlib.sha256(raw_body).hexdigest()
    event_id = (event_id or "").strip()[:128]
    duplicate = _delivery_duplicate(connector, event_id, resource_type, resource_id, digest)
    if duplicate:
        return duplicate, False
    try:
        with transaction.atomic():
            delivery = OutreachDelivery.objects.create(
                connector=connector,
                event_id=event_id,
                body_sha256=digest,
                event_name=event_name[:64],
                resource_type=resource_type[:64],
                resource_id=resource_id,
                body=body,
            )
            delivery_job_ensure(connector)
    except IntegrityError:
        # The same event id arrived twice at once: the other request stored it.
        return OutreachDelivery.objects.get(connector=connector, event_id=event_id), False
    return delivery, True


def _delivery_duplicate(connector, event_id, resource_type, resource_id, digest):
    deliveries = OutreachDelivery.objects.filter(connector=connector)
    if event_id:
        found = deliveries.filter(event_id=event_id).first()
        if found:
            return found
    return deliveries.filter(
        resource_type=resource_type,
        resource_id=resource_id,
        body_sha256=digest,
        received_at__gte=timezone.now() - DUPLICATE_WINDOW,
    ).first()


def delivery_job_ensure(connector: Connector) -> SyncJob | None:
    """Queue a webhook job unless one is already queued: it will pick up this delivery too."""
    from sync.jobs import job_create

    queued = SyncJob.objects.filter(
        connector=connector, kind=JobKind.WEBHOOK, status__in=(JobStatus.QUEUED, JobStatus.RETRYING)
    )
    if queued.exists():
        return None
    return job_create(connector=connector, kind=JobKind.WEBHOOK, started_by="outreach webhook")


def deliveries_claim(*, connector: Connector, job: SyncJob, limit: int = 200) -> list[OutreachDelivery]:
    """Take the oldest pending deliveries for this job (compare-and-set, so two jobs never share one).

    A re-run job also takes back the failed deliveries of the job it re-runs.
    """
    # Its own pending ones first: a job revived after its worker died picks up where it was.
    pending = OutreachDelivery.objects.filter(connector=connector, status=MessageStatus.PENDING).filter(
        Q(job__isnull=True) | Q(job=job)
    )
    ids = list(pending.order_by("id").values_list("id", flat=True)[:limit])
    if ids:
        OutreachDelivery.objects.filter(id__in=ids, job__isnull=True).update(job=job)
    return list(OutreachDelivery.objects.filter(id__in=ids, job=job).order_by("id"))


def delivery_finish(delivery: OutreachDelivery, status: str, error: str = "") -> None:
    delivery.status = status
    delivery.error = error
    delivery.processed_at = timezone.now()
    delivery.save(update_fields=["status", "error", "processed_at"])


def deliveries_reopen(job: SyncJob) -> int:
    """Before a re-run: hand the failed deliveries of `job.rerun_of` back to the queue."""
    if not job.rerun_of_id:
        return 0
    return OutreachDelivery.objects.filter(
        job_id=job.rerun_of_id, status__in=(MessageStatus.FAILED, MessageStatus.PENDING)
    ).update(
        status=MessageStatus.PENDING, job=None, error=""
    )
