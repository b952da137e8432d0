"""Outreach → Hull: prospects and accounts (from webhooks, fetches and write read-backs) become Hull
users and accounts, linked to each other; IdLink remembers what Outreach holds.

The rules (what to write) are in sync/rules/incoming.py; this module does the writing, one page or
one batch of deliveries at a time: Hull writes are flushed first, then IdLinks and log lines are
saved, so a failed flush leaves nothing recorded that Hull did not receive.
"""

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from connectors.hull.firehose import HullFirehose
from connectors.outreach.client import OutreachClient
from connectors.outreach.errors import OutreachError, OutreachNotFound
from sync.choices import Entity, Level, MessageStatus
from sync.deliveries import deliveries_claim, deliveries_reopen, delivery_finish
from sync.events import WEBHOOK_RESOURCES as EVENT_WEBHOOK_RESOURCES
from sync.events import EventSender, event_sender_for
from sync.jobs import job_save_progress, job_slice_check
from sync.logs import sync_log, sync_log_line, sync_logs_save
from sync.models import Connector, IdLink, SyncJob
from sync.outreach_calls import outreach_client_for, outreach_job_errors
from sync.rules.incoming import HullWrite, account_write_from_account, user_write_from_prospect, write_for_destroyed
from sync.rules.normalize import values_digest
from sync.rules.outreach_values import outreach_values_merge, outreach_values_read
from sync.rules.settings import RuleSettings, rule_settings_snapshot

HANDLED_RESOURCES = {"prospect": Entity.USER, "account": Entity.ACCOUNT}
LOG_SUBJECT = {Entity.USER: "user", Entity.ACCOUNT: "account"}
DELIVERY_BATCH = 200


@dataclass
class _Pending:
    """A record written to the firehose but not yet acknowledged by a flush."""

    entity: str
    outreach_id: int
    values: dict
    identity: str
    partial: bool
    log: dict
    deleted: bool = False


@dataclass
class IncomingWriter:
    """Writes Outreach records into Hull for one job. Call `flush()` at the end of each unit of work."""

    connector: Connector
    job: SyncJob | None
    client: OutreachClient
    settings: RuleSettings = None
    firehose: HullFirehose = None
    pending: list[_Pending] = field(default_factory=list)

    def __post_init__(self):
        self.settings = self.settings or rule_settings_snapshot(connector=self.connector)
        self.firehose = self.firehose or HullFirehose(self.connector)

    # Lookups, only when a mapping needs them (the original fetched /users even when unmapped).
    def _stage_name_for(self, stage_id):
        return self.client.stage_name_for_id(stage_id)

    def _owner_email_for(self, owner_id):
        return self.client.user_email_for_id(owner_id)

    def prospect(self, resource: dict, *, event_name: str = "", source: str = "Prospect") -> str:
        """Queue the Hull writes for one prospect. Returns "success" or "skip" (skips are logged now)."""
        write = user_write_from_prospect(
            connector=self.settings,
            prospect=resource,
            event_name=event_name,
            stage_name_for=self._stage_name_for,
            owner_email_for=self._owner_email_for,
        )
        return self._queue(Entity.USER, resource, write, event_name=event_name, source=source)

    def account(self, resource: dict, *, event_name: str = "", source: str = "Account") -> str:
        write = account_write_from_account(
            connector=self.settings, account=resource, event_name=event_name, owner_email_for=self._owner_email_for
        )
        return self._queue(Entity.ACCOUNT, resource, write, event_name=event_name, source=source)

    def destroyed(self, entity: str, outreach_id: int, *, deleted_at: str, payload: dict) -> None:
        """Mark the Hull user or account deleted and forget the link (a later update re-resolves)."""
        kind = "prospect" if entity == Entity.USER else "account"
        write = write_for_destroyed(kind=kind, outreach_id=outreach_id, deleted_at=deleted_at)
        self._firehose_write(entity, write)
        self.pending.append(
            _Pending(
                entity=entity,
                outreach_id=outreach_id,
                values={},
                identity="",
                partial=True,
                deleted=True,
                log={
                    "message": f"{kind} {outreach_id} was deleted in Outreach: outreach/deleted_at set, link dropped",
                    "payload": {"data": payload, "type": "WebPayload"},
                },
            )
        )

    def _queue(self, entity: str, resource: dict, write: HullWrite, *, event_name: str, source: str) -> str:
        outreach_id = int(resource["id"])
        subject = LOG_SUBJECT[entity]
        identity = write.claims.get("email") or write.claims.get("domain") or ""
        if write.skipped and self._known(entity, outreach_id):
            sync_log(
                connector=self.connector,
                job=self.job,
                event=f"incoming.{subject}.skip",
                level=Level.DEBUG,
                outreach_id=outreach_id,
                email=write.claims.get("email"),
                domain=write.claims.get("domain"),
                message=write.skip_reason,
                payload={"data": resource, "type": source},
            )
            return "skip"
        self._firehose_write(entity, write)
        values = outreach_values_read(connector=self.settings, entity=entity, resource=resource)
        self.pending.append(
            _Pending(
                entity=entity,
                outreach_id=outreach_id,
                values=values,
                identity=identity,
                partial=bool(event_name),
                log={
                    "message": (write.warnings and "; ".join(write.warnings)) or "",
                    "payload": {"data": resource, "type": source, "traits": write.traits},
                },
            )
        )
        return "success"

    def _firehose_write(self, entity: str, write: HullWrite) -> None:
        if entity == Entity.USER:
            self.firehose.user_traits(write.claims, write.traits)
            if write.account_claims:
                self.firehose.link_user_to_account(write.claims, write.account_claims)
        else:
            self.firehose.account_traits(write.claims, write.traits)

    def _known(self, entity: str, outreach_id: int) -> bool:
        return IdLink.objects.filter(connector=self.connector, entity=entity, outreach_id=outreach_id).exists()

    def flush(self) -> int:
        """Send the Hull writes, then record links and log lines for what Hull took. Returns the count."""
        if not self.pending:
            return 0
        self.firehose.flush()  # raises HullFirehoseError (a JobRetry): nothing below is recorded
        done, self.pending = self.pending, []
        with transaction.atomic():
            self._links_save(done)
            sync_logs_save(
                [
                    sync_log_line(
                        connector=self.connector,
                        job=self.job,
                        event=f"incoming.{LOG_SUBJECT[item.entity]}.success",
                        level=Level.DEBUG if not item.deleted else Level.INFO,
                        outreach_id=item.outreach_id,
                        email=item.identity if item.entity == Entity.USER else "",
                        domain=item.identity if item.entity == Entity.ACCOUNT else "",
                        message=item.log["message"],
                        payload=item.log["payload"],
                    )
                    for item in done
                ]
            )
        return len(done)

    def _links_save(self, items: list[_Pending]) -> None:
        now = timezone.now()
        for entity in (Entity.USER, Entity.ACCOUNT):
            mine = [i for i in items if i.entity == entity]
            if not mine:
                continue
            gone = [i.outreach_id for i in mine if i.deleted]
            if gone:
                IdLink.objects.filter(connector=self.connector, entity=entity, outreach_id__in=gone).delete()
            alive = {i.outreach_id: i for i in mine if not i.deleted}
            existing = {
                link.outreach_id: link
                for link in IdLink.objects.filter(connector=self.connector, entity=entity, outreach_id__in=list(alive))
            }
            new, changed = [], []
            for outreach_id, item in alive.items():
                link = existing.get(outreach_id)
                if link is None:
                    link = IdLink(connector=self.connector, entity=entity, outreach_id=outreach_id)
                    new.append(link)
                else:
                    changed.append(link)
                known = link.outreach_values if item.partial else {}
                link.outreach_values = outreach_values_merge(known=known, update=item.values)
                link.values_digest = values_digest(link.outreach_values)
                link.last_pulled_at = now
                if item.identity:
                    link.identity = item.identity
            IdLink.objects.bulk_create(new, ignore_conflicts=True)
            if changed:
                IdLink.objects.bulk_update(changed, ["outreach_values", "values_digest", "last_pulled_at", "identity"])


def incoming_writer_for(*, connector: Connector, job: SyncJob | None, client: OutreachClient | None = None) -> IncomingWriter:
    return IncomingWriter(connector=connector, job=job, client=client or outreach_client_for(connector))


# -- webhooks ------------------------------------------------------------------------------------


def webhook_job_run(job: SyncJob) -> None:
    """Drain the connector's pending webhook deliveries, oldest first, in batches."""
    connector = job.connector
    deliveries_reopen(job)
    writer = incoming_writer_for(connector=connector, job=job)
    events = event_sender_for(connector=connector, job=job, client=writer.client, firehose=writer.firehose)
    while True:
        batch = deliveries_claim(connector=connector, job=job, limit=DELIVERY_BATCH)
        if not batch:
            break
        outcomes = {}
        with outreach_job_errors():
            for delivery in batch:
                outcomes[delivery.pk] = _delivery_apply(writer, delivery, events=events)
        writer.flush()
        events.flush()  # events share the writer's firehose: this records what that flush sent
        for delivery in batch:
            status, error = outcomes[delivery.pk]
            delivery_finish(delivery, status, error)
            if status == MessageStatus.SUCCEEDED:
                job.succeeded += 1
            elif status == MessageStatus.SKIPPED:
                job.skipped += 1
            else:
                job.failed += 1
        job.progress_done += len(batch)
        job_save_progress(job)
        job_slice_check(job)


def _delivery_apply(writer: IncomingWriter, delivery, *, events: EventSender | None = None) -> tuple[str, str]:
    """One delivery → queued Hull writes. Record-level problems are logged here and do not stop the job."""
    body = delivery.body
    data = body.get("data") or {}
    if events is not None and delivery.resource_type in EVENT_WEBHOOK_RESOURCES:
        return events.delivery(delivery)  # mailing / sequenceState activity → Hull events (sync/events.py)
    if events is not None and delivery.resource_type == "prospect":
        events.prospect_stage_changed(delivery)  # in addition to the upsert below, as the original
    entity = HANDLED_RESOURCES.get(delivery.resource_type)
    if entity is None or delivery.resource_id is None:
        # Mailings, sequence states, tasks...: kept for the events work, nothing to write as traits.
        return MessageStatus.SKIPPED, ""
    event_name = delivery.event_name
    subject = LOG_SUBJECT[entity]
    try:
        if event_name.endswith(".destroyed"):
            deleted_at = (body.get("meta") or {}).get("deliveredAt") or timezone.now().isoformat()
            writer.destroyed(entity, delivery.resource_id, deleted_at=deleted_at, payload=body)
            return MessageStatus.SUCCEEDED, ""
        resource = {"type": data.get("type"), "id": delivery.resource_id, **{k: data.get(k) or {} for k in ("attributes", "relationships")}}
        if entity == Entity.USER:
            if event_name == "prospect.created" and _wants_email(writer.settings):
                resource = _prospect_with_emails(writer.client, resource)
            outcome = writer.prospect(resource, event_name=event_name, source="WebPayload")
        else:
            outcome = writer.account(resource, event_name=event_name, source="WebPayload")
    except OutreachError as exc:
        if isinstance(exc, OutreachNotFound):
            sync_log(
                connector=writer.connector,
                job=writer.job,
                event=f"incoming.{subject}.skip",
                outreach_id=delivery.resource_id,
                message=f"{delivery.resource_type} {delivery.resource_id} no longer exists in Outreach",
                payload={"data": body, "type": "WebPayload"},
            )
            return MessageStatus.SKIPPED, str(exc)
        raise  # job-level: outreach_job_errors decides wait or retry
    except (KeyError, TypeError, ValueError) as exc:
        sync_log(
            connector=writer.connector,
            job=writer.job,
            event=f"incoming.{subject}.error",
            outreach_id=delivery.resource_id,
            message=f"cannot read this webhook: {type(exc).__name__}: {exc}",
            payload={"data": body, "type": "WebPayload"},
        )
        return MessageStatus.FAILED, str(exc)
    return (MessageStatus.SUCCEEDED if outcome == "success" else MessageStatus.SKIPPED), ""


def _wants_email(settings: RuleSettings) -> bool:
    return any(claim.get("service") == "emails" for claim in settings.user_claims or [])


def _prospect_with_emails(client: OutreachClient, resource: dict) -> dict:
    """`prospect.created` carries no emails: read the prospect once so Hull gets its email claim now."""
    try:
        full = client.prospect_get(resource["id"])
    except OutreachNotFound:
        return resource
    attributes = dict(resource.get("attributes") or {})
    emails = (full.get("attributes") or {}).get("emails")
    if emails:
        attributes["emails"] = emails
    return {**resource, "attributes": attributes}
