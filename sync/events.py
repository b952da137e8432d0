"""Outreach activity → Hull events: opens, clicks, replies, bounces, calls, sequence and stage changes.

Where events come from:
- the recent poll (FETCH_RECENT_EVENTS, every 5 minutes): /events with eventAt from the watermark
  (minus a small overlap) to now; the watermark moves only when the whole window was sent;
- the historical fetch (FETCH_EVENTS): every event by id, one checkpoint per page, so a crashed run
  resumes after its last flushed page and never sends a page twice;
- webhooks (`mailing.delivered|opened|replied|bounced`, `sequenceState.advanced|finished`): the
  webhook names a mailing or sequence state, not the event, so we ask /events for the event it
  stands for and send that one at once, with Outreach's own event id;
- prospect webhooks whose stage relationship changed: "Prospect Stage Changed" (as the original).

How we know an event was sent: its Outreach id is written to SentOutreachEvent right after the Hull
flush that carried it (never before, so a failed flush loses nothing). Every path checks that table
before sending, so the poll's overlap and a webhook-then-poll pair send one track. The Outreach id
is also the Hull `event_id`, so Hull drops the rare duplicate two parallel jobs might still send.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from connectors.hull.firehose import HullFirehose
from connectors.outreach.client import MAX_PAGE_SIZE, OutreachClient
from connectors.outreach.errors import OutreachNotFound
from sync.choices import JobKind, Level, MessageStatus
from sync.jobs import job_save_progress, job_slice_check
from sync.logs import sync_log, sync_log_line, sync_logs_save
from sync.models import Connector, SentOutreachEvent, SyncJob
from sync.outreach_calls import outreach_client_for, outreach_job_errors
from sync.settings_io import EVENT_NAMES

PAGE_SIZE = MAX_PAGE_SIZE
# The poll re-reads a little before its watermark: Outreach may list an event a moment after its eventAt.
RECENT_OVERLAP = timedelta(minutes=2)
RECENT_FIRST_WINDOW = timedelta(hours=1)
# How long we remember sent event ids (after the event happened). Beyond it Hull's dedupe suffices.
SENT_RETENTION = timedelta(days=14)
# A webhook's event is looked up among its resource's events of the hour before the webhook arrived.
WEBHOOK_LOOKBACK = timedelta(hours=1)

STAGE_CHANGED = "prospect_stage_changed"
# Outreach event name -> Hull event name, for the names that come from /events.
HULL_EVENT_NAMES = {name: hull_name for name, hull_name in EVENT_NAMES.items() if name != STAGE_CHANGED}
# Outreach's event names hullreach knows (the original's server/events.json, abridged to the families
# it lists). An unknown name is skipped with its name logged instead of aborting the fetch.
KNOWN_EVENT_NAMES = frozenset(
    set(EVENT_NAMES)
    | {
        "account_created", "account_updated", "account_destroyed", "call_created", "call_updated",
        "emails_opt_in", "mailbox_created", "mailbox_updated", "mailing_created", "mailing_updated",
        "message_delivered", "message_replied", "opportunity_created", "opportunity_updated",
        "prospect_created", "prospect_updated", "prospect_destroyed", "prospect_merged",
        "prospect_owner_changed", "sequence_created", "sequence_updated", "sequence_destroyed",
        "sequence_state_created", "sequence_state_advanced", "sequence_state_finished",
        "sequence_state_paused", "sequence_state_resumed", "sequence_state_updated",
        "sequence_step_created", "sequence_step_updated", "task_created", "task_updated",
        "task_completed", "task_destroyed", "template_created", "template_updated", "template_archived",
        "trigger_created", "trigger_destroyed", "user_created", "user_updated", "webhook_created",
        "webhook_updated", "webhook_destroyed",
    }
)
# Webhook event name -> the Outreach event name it stands for ((A) mailing.delivered is the sent
# email, Outreach's outbound_message; replied is the reply received, inbound_message).
WEBHOOK_EVENT_NAMES = {
    "mailing.delivered": "outbound_message",
    "mailing.opened": "message_opened",
    "mailing.replied": "inbound_message",
    "mailing.bounced": "bounced_message",
    "sequenceState.advanced": "sequence_state_advanced",
    "sequenceState.finished": "sequence_state_finished",
}
WEBHOOK_RESOURCES = {"mailing", "sequenceState"}


def events_whitelist(connector: Connector) -> list[str]:
    """The Outreach event names this connector sends from /events (stage changes come from webhooks)."""
    return [name for name in (connector.events_to_fetch or []) if name in HULL_EVENT_NAMES]


def _relationship_id(resource: dict, name: str):
    value = ((resource.get("relationships") or {}).get(name) or {}).get("data")
    return int(value["id"]) if isinstance(value, dict) and value.get("id") is not None else None


@dataclass
class _Queued:
    event_id: int
    event_at: datetime | None
    prospect_id: int
    name: str
    properties: dict


@dataclass
class EventSender:
    """Sends Outreach events to Hull for one unit of work. Call `flush()` at the end of each page/batch."""

    connector: Connector
    job: SyncJob | None
    client: OutreachClient
    firehose: HullFirehose = None
    whitelist: set[str] = None
    pending: list[_Queued] = field(default_factory=list)
    stage_changes: list[dict] = field(default_factory=list)
    skipped: int = 0
    failed: int = 0

    def __post_init__(self):
        self.firehose = self.firehose or HullFirehose(self.connector)
        if self.whitelist is None:
            self.whitelist = set(events_whitelist(self.connector))

    # -- events from /events ------------------------------------------------------------------------

    def page(self, records: list[dict]) -> int:
        """Queue the page's events that must go to Hull (mailings read in one request). Returns how many."""
        candidates = [r for r in records if self._wanted(r)]
        fresh_ids = self._not_sent([int(r["id"]) for r in candidates])
        candidates = [r for r in candidates if int(r["id"]) in fresh_ids]
        mailing_ids = {m for m in (self._mailing_id(r) for r in candidates) if m is not None}
        # Reference: one GET /mailings?filter[id]=<comma list> per page, as the original.
        mailings = self.client.mailings_by_id(mailing_ids) if mailing_ids else {}
        queued = 0
        for record in candidates:
            try:
                properties = self._properties(record, mailings)
                attributes = record.get("attributes") or {}
                queued_event = _Queued(
                    event_id=int(record["id"]),
                    event_at=_parse(attributes.get("eventAt")),
                    prospect_id=_relationship_id(record, "prospect"),
                    name=attributes["name"],
                    properties=properties,
                )
            except (KeyError, TypeError, ValueError) as exc:
                self._log_error(record, f"cannot read this event: {type(exc).__name__}: {exc}")
                continue
            self._track(queued_event, created_at=attributes.get("createdAt") or attributes.get("eventAt"))
            queued += 1
        return queued

    def _wanted(self, record: dict) -> bool:
        attributes = record.get("attributes") or {}
        name = attributes.get("name") or ""
        prospect_id = _relationship_id(record, "prospect")
        if name not in KNOWN_EVENT_NAMES:
            self._skip(record, prospect_id, f"Outreach event name {name!r} is unknown to hullreach: skipped "
                       "(please report it so it can be mapped)", level=Level.INFO)
            return False
        if name not in self.whitelist or name not in HULL_EVENT_NAMES:
            self._skip(record, prospect_id, f"{name} is not whitelisted in events_to_fetch", level=Level.DEBUG)
            return False
        if prospect_id is None:
            self._skip(record, None, "Event isn't related to a Prospect", level=Level.DEBUG)
            return False
        return True

    def _not_sent(self, event_ids: list[int]) -> set[int]:
        queued = {item.event_id for item in self.pending}
        sent = set(
            SentOutreachEvent.objects.filter(connector=self.connector, outreach_event_id__in=event_ids).values_list(
                "outreach_event_id", flat=True
            )
        )
        already = sent | queued
        # Already sent (poll overlap, a webhook earlier): counted, not logged, so overlaps make no noise.
        self.skipped += sum(1 for i in event_ids if i in already)
        return {i for i in event_ids if i not in already}

    @staticmethod
    def _mailing_id(record: dict):
        mailing_id = (record.get("attributes") or {}).get("mailingId")
        if mailing_id is None:
            mailing_id = _relationship_id(record, "mailing")
        return int(mailing_id) if mailing_id is not None else None

    def _properties(self, record: dict, mailings: dict) -> dict:
        a = record.get("attributes") or {}
        user_id = _relationship_id(record, "user")
        mailing_id = self._mailing_id(record)
        properties = {
            "body": a.get("body"),
            "event_at": a.get("eventAt"),
            "external_url": a.get("externalUrl"),
            "email_id": mailing_id,
            "payload": a.get("payload"),
            "request_city": a.get("requestCity"),
            "user_agent": a.get("requestDevice"),
            "ip": a.get("requestHost"),
            "request_proxied": a.get("requestProxied"),
            "request_region": a.get("requestRegion"),
            "user_id": user_id,
            "user_email": self.client.user_email_for_id(user_id) if user_id is not None else None,
        }
        mailing = mailings.get(mailing_id) if mailing_id is not None else None
        if mailing is not None:
            sequence_id = _relationship_id(mailing, "sequence")
            step_id = _relationship_id(mailing, "sequenceStep")
            properties.update(
                {
                    "email_subject": (mailing.get("attributes") or {}).get("subject"),
                    "sequence_id": sequence_id,
                    "sequence_step_id": step_id,
                    "sequence_name": self.client.sequence_name_for_id(sequence_id) if sequence_id else None,
                    "sequence_step_name": self.client.sequence_step_name_for_id(step_id) if step_id else None,
                }
            )
        return properties

    def _track(self, item: _Queued, *, created_at) -> None:
        claims = {"anonymous_id": f"outreach:{item.prospect_id}"}
        self.firehose.track(
            claims,
            event=EVENT_NAMES[item.name],
            properties=item.properties,
            event_id=str(item.event_id),
            created_at=created_at,
            source="Outreach",
        )
        self.firehose.user_traits(claims, {"outreach/id": item.prospect_id})
        self.pending.append(item)

    # -- events from webhooks -----------------------------------------------------------------------

    def delivery(self, delivery) -> tuple[str, str]:
        """A mailing or sequence-state webhook: send the event it stands for now. (status, reason)."""
        name = WEBHOOK_EVENT_NAMES.get(delivery.event_name)
        if name is None or delivery.resource_id is None:
            return MessageStatus.SKIPPED, f"{delivery.event_name or 'this webhook'} does not become a Hull event"
        if name not in self.whitelist:
            return MessageStatus.SKIPPED, f"{name} is not whitelisted in events_to_fetch"
        # Relative to when the webhook arrived: a job delayed (paused, re-authorization) still finds it.
        since = _iso((getattr(delivery, "received_at", None) or timezone.now()) - WEBHOOK_LOOKBACK)
        params = {"filter[name]": name, "filter[eventAt]": f"{since}..inf", "sort": "-eventAt"}
        if delivery.resource_type == "mailing":
            params["filter[mailing][id]"] = str(delivery.resource_id)
        else:
            try:
                state = self.client.sequence_state_get(delivery.resource_id)
            except OutreachNotFound:
                return MessageStatus.SKIPPED, f"sequence state {delivery.resource_id} no longer exists in Outreach"
            prospect_id = _relationship_id(state, "prospect")
            if prospect_id is None:
                return MessageStatus.SKIPPED, "Event isn't related to a Prospect"
            params["filter[prospect][id]"] = str(prospect_id)
        records = []
        for page in self.client.iter_events(params=params, page_size=100):
            records.extend(page.records)
            break  # the newest hundred are plenty for one webhook
        if not records:
            sync_log(
                connector=self.connector,
                job=self.job,
                event="incoming.event.skip",
                level=Level.DEBUG,
                message=f"Outreach does not list the {name} event of {delivery.resource_type} "
                f"{delivery.resource_id} yet: the recent poll will send it",
                payload={"data": delivery.body, "type": "WebPayload"},
            )
            return MessageStatus.SKIPPED, "event not listed by Outreach yet"
        queued = self.page(records)
        return (MessageStatus.SUCCEEDED, "") if queued else (MessageStatus.SKIPPED, "already sent")

    def prospect_stage_changed(self, delivery) -> bool:
        """A prospect webhook carrying a stage relationship: "Prospect Stage Changed" (original §5.5)."""
        if STAGE_CHANGED not in (self.connector.events_to_fetch or []) or delivery.event_name.endswith(".destroyed"):
            return False  # a destroyed payload repeats the last relationships: no stage changed
        data = (delivery.body or {}).get("data") or {}
        stage = (data.get("relationships") or {}).get("stage") or {}
        if not isinstance(stage, dict) or stage.get("type") != "stage" or delivery.resource_id is None:
            return False
        stage_id = stage.get("id")
        stage_name = self.client.stage_name_for_id(stage_id) if stage_id is not None else None
        updated_at = (data.get("attributes") or {}).get("updatedAt") or (delivery.body.get("meta") or {}).get("deliveredAt")
        # The original sent no event_id (Hull made one up); ours survives a redelivered webhook.
        event_id = f"outreach-webhook:{delivery.event_id}" if delivery.event_id else (
            f"outreach-stage:{delivery.resource_id}:{stage_id}:{updated_at}"
        )
        claims = {"anonymous_id": f"outreach:{delivery.resource_id}"}
        self.firehose.track(
            claims,
            event=EVENT_NAMES[STAGE_CHANGED],
            properties={"changed_to": stage_name},
            event_id=event_id,
            created_at=updated_at,
            source="Outreach",
        )
        self.stage_changes.append({"prospect_id": delivery.resource_id, "stage": stage_name, "event_id": event_id})
        return True

    # -- after Hull took the writes -------------------------------------------------------------------

    def flush(self) -> int:
        """Send what is queued, then remember the ids and write the success lines. Returns the count."""
        self.firehose.flush()  # raises HullFirehoseError (a JobRetry): nothing below is recorded
        done, self.pending = self.pending, []
        stage_changes, self.stage_changes = self.stage_changes, []
        keep_after = timezone.now() - SENT_RETENTION
        with transaction.atomic():
            SentOutreachEvent.objects.bulk_create(
                [
                    SentOutreachEvent(connector=self.connector, outreach_event_id=item.event_id, event_at=item.event_at)
                    for item in done
                    if item.event_at is None or item.event_at >= keep_after
                ],
                ignore_conflicts=True,
            )
            lines = [
                sync_log_line(
                    connector=self.connector,
                    job=self.job,
                    event="incoming.event.success",
                    outreach_id=item.prospect_id,
                    message=f"{EVENT_NAMES[item.name]} (Outreach event {item.event_id})",
                    payload={"event": EVENT_NAMES[item.name], "event_id": item.event_id, "properties": item.properties,
                             "type": "Event"},
                )
                for item in done
            ]
            lines += [
                sync_log_line(
                    connector=self.connector,
                    job=self.job,
                    event="incoming.event.success",
                    outreach_id=change["prospect_id"],
                    message=f"Prospect Stage Changed to {change['stage']!r}",
                    payload={"event": "Prospect Stage Changed", "event_id": change["event_id"],
                             "properties": {"changed_to": change["stage"]}, "type": "WebPayload"},
                )
                for change in stage_changes
            ]
            sync_logs_save(lines)
        return len(done) + len(stage_changes)

    # -- log lines ------------------------------------------------------------------------------------

    def _skip(self, record: dict, prospect_id, reason: str, *, level: str) -> None:
        self.skipped += 1
        sync_log(
            connector=self.connector,
            job=self.job,
            event="incoming.event.skip",
            level=level,
            outreach_id=prospect_id,
            message=reason,
            payload={"data": record, "type": "Event"},
        )

    def _log_error(self, record: dict, reason: str) -> None:
        self.failed += 1
        sync_log(
            connector=self.connector,
            job=self.job,
            event="incoming.event.error",
            outreach_id=_relationship_id(record, "prospect"),
            message=reason,
            payload={"data": record, "type": "Event"},
        )


def event_sender_for(
    *, connector: Connector, job: SyncJob | None, client: OutreachClient | None = None, firehose: HullFirehose | None = None
) -> EventSender:
    return EventSender(connector=connector, job=job, client=client or outreach_client_for(connector), firehose=firehose)


# -- jobs ----------------------------------------------------------------------------------------------


def events_job_run(job: SyncJob) -> None:
    if job.kind == JobKind.FETCH_RECENT_EVENTS:
        events_recent_run(job)
    else:
        events_history_run(job)


def events_recent_run(job: SyncJob) -> None:
    """The window [watermark - overlap, now] of /events; the watermark moves only when all was sent."""
    connector = job.connector
    whitelist = events_whitelist(connector)
    if not whitelist:
        return
    checkpoint = job.checkpoint or {}
    if not checkpoint.get("window"):
        since = connector.events_last_fetch_at - RECENT_OVERLAP if connector.events_last_fetch_at else (
            timezone.now() - RECENT_FIRST_WINDOW
        )
        checkpoint = {"window": [_iso(since), _iso(timezone.now())], "next_url": None, "pages": 0}
    low, high = checkpoint["window"]
    params = {"filter[eventAt]": f"{low}..{high}", "filter[name]": ",".join(whitelist), "sort": "-eventAt"}
    sender = event_sender_for(connector=connector, job=job)
    with outreach_job_errors():
        for page in sender.client.iter_events(params=params, page_size=PAGE_SIZE, start_url=checkpoint.get("next_url")):
            _page_send(job, sender, page.records)
            checkpoint = {**checkpoint, "next_url": page.next_url, "pages": checkpoint.get("pages", 0) + 1}
            job.checkpoint = checkpoint
            job_save_progress(job)
            job_slice_check(job)
    # Reached only when every page was sent: a failed run repeats its window next time.
    connector.events_last_fetch_at = parse_datetime(high)
    connector.save(update_fields=["events_last_fetch_at"])
    SentOutreachEvent.objects.filter(connector=connector, event_at__lt=timezone.now() - SENT_RETENTION).delete()


def events_history_run(job: SyncJob) -> None:
    """Every whitelisted event, by id; after a crash it resumes after the last page it flushed."""
    connector = job.connector
    whitelist = events_whitelist(connector)
    if not whitelist:
        sync_log(connector=connector, job=job, event="incoming.event.skip", level=Level.INFO,
                 message="No event is whitelisted in events_to_fetch: nothing to fetch")
        return
    checkpoint = job.checkpoint or {}
    after_id = int(checkpoint.get("after_id") or 0)
    # An id range rather than a saved cursor: a resumed run asks again from the last flushed id.
    params = {"filter[id]": f"{after_id + 1}..inf", "filter[name]": ",".join(whitelist), "sort": "id"}
    sender = event_sender_for(connector=connector, job=job)
    with outreach_job_errors():
        for page in sender.client.iter_events(params=params, page_size=PAGE_SIZE):
            if not page.records:
                continue
            _page_send(job, sender, page.records)
            checkpoint = {
                "after_id": max(int(r["id"]) for r in page.records),
                "pages": checkpoint.get("pages", 0) + 1,
            }
            job.checkpoint = checkpoint
            job_save_progress(job)
            job_slice_check(job)


def _page_send(job: SyncJob, sender: EventSender, records: list[dict]) -> None:
    skipped, failed = sender.skipped, sender.failed
    sender.page(records)
    sent = sender.flush()
    job.succeeded += sent
    job.skipped += sender.skipped - skipped
    job.failed += sender.failed - failed
    job.progress_done += len(records)


def _parse(value) -> datetime | None:
    return parse_datetime(value) if isinstance(value, str) and value else None


def _iso(moment: datetime) -> str:
    """Outreach's own format: UTC with milliseconds and a Z."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
