"""Hull → Outreach: the messages of a stored Hull notification become Outreach prospects and accounts.

One job handles one notification (smart-notifier, /batch file, or a console "Send to"), message by
message, in position order. The rules (what to send, who it is, which body) are in sync/rules/; this
module runs them against Outreach and Hull:

- filter (the original's order, `outgoing.*.skip` with a reason), and the §3.7 email fetch;
- identity: our IdLink, then Hull's `outreach/id`, then the claims lookup, else a create, with a
  per-identity lock across lookup and create (sync/outgoing_lock.py); a stored id answering 404 is
  dropped and the message falls back to lookup, then create; an ambiguous create is looked up before
  anything is retried; "email hash has already been taken" becomes lookup + update;
- a PATCH that would change nothing Outreach has (IdLink.outreach_values) is not sent;
- the response is written back to Hull through the IncomingWriter (no extra GET).

Outcomes are stored per HullMessage: succeeded and skipped messages are never sent again (not by a
retry of the job, not by a re-run). 429/5xx/timeouts leave the message pending and the job is retried
with backoff; 400/404/422 fail that message only (`outgoing.*.error` with Outreach's details). Without
a usable Outreach token the job waits (JobWaiting) and nothing is lost.

IdLink: this module records hull_id, identity and last_pushed_at right after a write; the values
Outreach holds (`outreach_values`, `values_digest`) are recorded by IncomingWriter.flush() once Hull
took the write-back, so a failed Hull write is retried rather than skipped as "no changes".
"""

from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from connectors.outreach.client import OutreachClient
from connectors.outreach.errors import (
    OutreachAmbiguousWrite,
    OutreachBadRequest,
    OutreachDetailedError,
    OutreachForbidden,
    OutreachNotFound,
    OutreachRateLimited,
    OutreachTransient,
    OutreachUnauthorized,
    OutreachValidationError,
)
from sync.choices import Entity, JobKind, Level, MessageStatus
from sync.errors import JobRetry, JobWaiting
from sync.incoming import IncomingWriter
from sync.jobs import job_save_progress, job_slice_check
from sync.logs import sync_log_line, sync_logs_save
from sync.models import HullMessage, HullNotification, IdLink, SyncJob
from sync.notifications import notification_batch_materialise
from sync.outgoing_lock import IdentityBusy, identity_lock
from sync.outgoing_send_to import send_to_notification
from sync.outreach_calls import outreach_client_for, outreach_job_errors
from sync.rules.identity import (
    account_identity,
    account_lookup_filters,
    account_outreach_id,
    user_account_link_plan,
    user_identity,
    user_lookup_filters,
    user_outreach_id,
)
from sync.rules.outgoing_body import account_body_build, prospect_body_build, prospect_needs_owner_map
from sync.rules.outgoing_filter import (
    account_outgoing_decision,
    user_email_change,
    user_needs_email_from_outreach,
    user_outgoing_decision,
)
from sync.rules.outreach_values import NO_CHANGES_TO_SEND, body_values, outreach_values_changes, outreach_values_read
from sync.rules.settings import RuleSettings, rule_settings_snapshot

CHUNK = 100
# This many transient failures in a row means Outreach is down: stop and retry the job later
# instead of spending every message's retries.
MAX_CONSECUTIVE_TRANSIENT = 5

# The original's error templates (§3.1), which staff know from Hull; Outreach's details follow.
ERROR_TEMPLATES = {
    OutreachValidationError: (
        "Outreach has rejected the objects being sent, please review attributes that you have in your filters to "
        "make sure that you've selected all the fields that outreach requires"
    ),
    OutreachBadRequest: (
        "Outreach has rejected the objects being sent, please review the object for any old relationships that may "
        "not exist anymore"
    ),
    OutreachNotFound: "Entity not found in outreach.",
    OutreachForbidden: "Outreach refused the request: the connected Outreach user lacks a permission or scope",
}
EMAIL_TAKEN = "already been taken"


@dataclass(frozen=True)
class _Kind:
    entity: str
    subject: str  # in log event names
    type_name: str  # in log payloads, as the original: "Prospect" / "Account"
    resource: str  # Outreach resource


PROSPECT = _Kind(Entity.USER, "user", "Prospect", "prospect")
ACCOUNT = _Kind(Entity.ACCOUNT, "account", "Account", "account")


@dataclass
class _Outcome:
    status: str
    error: str = ""
    transient: bool = False


@dataclass
class _Context:
    """What one message did so far, for its log line."""

    row: HullMessage
    message: dict
    kind: _Kind
    is_batch: bool
    reason: str = ""
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    body_sent: dict | None = None

    @property
    def subject(self) -> dict:
        return self.message.get(self.kind.entity) or {}

    @property
    def hull_id(self) -> str:
        own = self.row.hull_id if self.row.entity == self.kind.entity else ""
        return own or str(self.subject.get("id") or "")


@dataclass
class OutgoingRun:
    """Everything one job shares: settings read once, one Outreach client, one Hull writer."""

    connector: Any
    job: SyncJob | None
    settings: RuleSettings
    client: OutreachClient
    writer: IncomingWriter
    # Log lines of the current chunk, saved together when it ends (one transaction, not one per line).
    lines: list = field(default_factory=list)

    # -- logging -------------------------------------------------------------------------------

    def log(self, ctx: _Context, outcome: str, message: str, *, level=None, outreach_id=None, payload=None,
            kind: _Kind | None = None, subject: dict | None = None):
        kind = kind or ctx.kind
        subject = ctx.subject if subject is None else subject
        self.lines.append(sync_log_line(
            connector=self.connector,
            job=self.job,
            event=f"outgoing.{kind.subject}.{outcome}",
            level=level,
            hull_id=ctx.hull_id if subject is ctx.subject else str(subject.get("id") or ""),
            email=subject.get("email") if kind is PROSPECT else "",
            domain=subject.get("domain") if kind is ACCOUNT else "",
            outreach_id=outreach_id,
            message=message,
            payload=payload,
        ))

    def lines_save(self) -> None:
        lines, self.lines = self.lines, []
        sync_logs_save(lines)


# -- the job -------------------------------------------------------------------------------------


def outgoing_job_run(job: SyncJob) -> None:
    """Send a notification's pending messages to Outreach. Raises JobWaiting / JobRetry (sync.errors)."""
    connector = job.connector
    if not connector.is_authorized:
        raise JobWaiting("Outreach is not connected or needs re-authorization: the messages wait until it is")
    notification = job.notification
    if job.kind == JobKind.SEND_TO_OUTREACH and notification is None:
        notification = send_to_notification(job=job)
    if notification is None:
        raise ValueError("this job has no stored notification to send")
    notification_batch_materialise(notification)
    _failed_reopen_for_rerun(job, notification)
    messages = notification.messages
    job.progress_total = messages.count()
    job.progress_done = messages.exclude(status=MessageStatus.PENDING).count()
    job_save_progress(job)

    client = outreach_client_for(connector)
    settings = rule_settings_snapshot(connector=connector)
    run = OutgoingRun(
        connector=connector,
        job=job,
        settings=settings,
        client=client,
        writer=IncomingWriter(connector=connector, job=job, client=client, settings=settings),
    )
    is_batch = notification.is_export or notification.source == HullNotification.Source.BATCH
    transient, last_error, consecutive, after = 0, "", 0, -1
    while True:
        chunk = list(messages.filter(status=MessageStatus.PENDING, position__gt=after).order_by("position")[:CHUNK])
        if not chunk:
            break
        after = chunk[-1].position
        done: list[tuple[HullMessage, _Outcome]] = []
        try:
            with outreach_job_errors():
                for row in chunk:
                    outcome = message_send(run=run, row=row, is_batch=is_batch)
                    done.append((row, outcome))
                    if outcome.transient:
                        transient, last_error, consecutive = transient + 1, outcome.error, consecutive + 1
                        if consecutive >= MAX_CONSECUTIVE_TRANSIENT:
                            raise JobRetry(
                                f"Outreach failed {consecutive} messages in a row; stopping until the retry: {last_error}"
                            )
                    else:
                        consecutive = 0
        finally:
            # Whatever stopped the chunk, what was done is written back to Hull and recorded, so a
            # retry resends only the rest. If the Hull write fails, the statuses are not recorded and
            # those messages are resent; the lines saying what Outreach answered are kept either way.
            run.lines_save()
            if done:
                run.writer.flush()
                _outcomes_save(job, done)
        job_slice_check(job)
    if transient:
        raise JobRetry(f"{transient} message(s) could not reach Outreach and are retried: {last_error}")


def _failed_reopen_for_rerun(job: SyncJob, notification: HullNotification) -> None:
    """A re-run from the admin resends the messages that failed (once per re-run, not per attempt)."""
    if not job.rerun_of_id or job.checkpoint.get("failed_reopened"):
        return
    notification.messages.filter(status=MessageStatus.FAILED).exclude(body={}).update(
        status=MessageStatus.PENDING, error=""
    )
    job.checkpoint = {**job.checkpoint, "failed_reopened": True}
    job.save(update_fields=["checkpoint"])


def _outcomes_save(job: SyncJob, done: list[tuple[HullMessage, _Outcome]]) -> None:
    for row, outcome in done:
        row.status = outcome.status
        row.error = outcome.error[:2000]
        row.attempts += 1
        if outcome.transient:
            continue
        job.progress_done += 1
        if outcome.status == MessageStatus.SUCCEEDED:
            job.succeeded += 1
        elif outcome.status == MessageStatus.SKIPPED:
            job.skipped += 1
        else:
            job.failed += 1
    HullMessage.objects.bulk_update([row for row, _ in done], ["status", "error", "attempts"])
    job_save_progress(job)


# -- one message ---------------------------------------------------------------------------------


def message_send(*, run: OutgoingRun, row: HullMessage, is_batch: bool) -> _Outcome:
    """Decide, resolve, write one message. Record-level problems are logged here and returned.

    OutreachUnauthorized and OutreachRateLimited propagate: they concern the whole job.
    """
    kind = ACCOUNT if row.entity == Entity.ACCOUNT else PROSPECT
    message = row.body if isinstance(row.body, dict) else {}
    ctx = _Context(row=row, message=message, kind=kind, is_batch=is_batch or bool(message.get("is_export")))
    try:
        if not isinstance(message.get(kind.entity), dict) or not message.get(kind.entity):
            raise ValueError(f"the message has no {kind.entity} object")
        if kind is PROSPECT:
            return _user_send(run, ctx)
        return _account_send(run, ctx)
    except (OutreachUnauthorized, OutreachRateLimited):
        raise
    except (OutreachTransient, IdentityBusy) as exc:
        run.log(
            ctx,
            "error",
            f"{exc}. Only this message is retried, with the job's backoff.",
            level=Level.WARNING,
            payload={"data": ctx.body_sent, "type": ctx.kind.type_name, "error": str(exc), "retried": True},
        )
        return _Outcome(MessageStatus.PENDING, str(exc), transient=True)
    except (OutreachDetailedError, OutreachForbidden) as exc:
        _error_log(run, ctx, exc)
        return _Outcome(MessageStatus.FAILED, str(exc))
    except (KeyError, TypeError, ValueError) as exc:
        run.log(ctx, "error", f"cannot read this message: {type(exc).__name__}: {exc}",
                payload={"data": ctx.body_sent, "type": ctx.kind.type_name, "error": str(exc)})
        return _Outcome(MessageStatus.FAILED, str(exc))


def _error_message(exc: Exception) -> str:
    template = next((text for cls, text in ERROR_TEMPLATES.items() if isinstance(exc, cls)), "Outreach refused it")
    return f"{template} ({exc})"


def _error_log(run: OutgoingRun, ctx: _Context, exc: Exception, *, kind: _Kind | None = None,
               subject: dict | None = None, body: dict | None = None) -> None:
    kind = kind or ctx.kind
    body = ctx.body_sent if body is None else body
    run.log(ctx, "error", "; ".join([*ctx.notes, _error_message(exc)]), kind=kind, subject=subject,
            outreach_id=((body or {}).get("data") or {}).get("id"),
            payload={"data": body, "type": kind.type_name, "error": str(exc)})


def _skip(run: OutgoingRun, ctx: _Context, reason: str, *, level=Level.DEBUG, outreach_id=None) -> _Outcome:
    run.log(ctx, "skip", "; ".join([*ctx.notes, reason]), level=level, outreach_id=outreach_id,
            payload={"reason": reason, "type": ctx.kind.type_name})
    return _Outcome(MessageStatus.SKIPPED, reason)


# -- users → prospects ---------------------------------------------------------------------------


def _user_send(run: OutgoingRun, ctx: _Context) -> _Outcome:
    user = ctx.subject
    link = _link_for(run, Entity.USER, ctx.hull_id)
    decision = user_outgoing_decision(
        connector=run.settings, message=ctx.message, is_batch=ctx.is_batch, has_link=link is not None
    )
    if not decision.send:
        outcome = _skip(run, ctx, decision.reason)
        if user_needs_email_from_outreach(message=ctx.message):
            _email_fetch(run, ctx)
        return outcome
    ctx.reason = decision.reason
    account_id = _account_for_user(run, ctx)
    prospect_id = link.outreach_id if link is not None else user_outreach_id(user=user)
    if prospect_id is not None:
        outcome = _known_write(run, ctx, PROSPECT, prospect_id, link, account_id=account_id)
        if outcome is not None:
            return outcome
    return _resolve_and_write(run, ctx, PROSPECT, account_id=account_id)


def _email_fetch(run: OutgoingRun, ctx: _Context) -> None:
    """§3.7: a user a `prospect.created` webhook made has no email yet: read the prospect once."""
    outreach_id = user_outreach_id(user=ctx.subject)
    try:
        link = IdLink.objects.filter(connector=run.connector, entity=Entity.USER, outreach_id=int(outreach_id)).first()
    except (TypeError, ValueError):
        return
    if link is not None and link.identity:
        return  # the webhook already read the email and gave it to Hull
    try:
        resource = run.client.prospect_get(outreach_id)
    except OutreachNotFound:
        run.log(ctx, "skip", f"prospect {outreach_id} no longer exists in Outreach: its email cannot be read",
                outreach_id=outreach_id)
        return
    run.writer.prospect(resource)


def _prospect_data(run: OutgoingRun, ctx: _Context, prospect_id, *, include_claims: bool, existing=None,
                   account_id=None) -> dict:
    owner_lookup = run.client.user_id_for_email if prospect_needs_owner_map(connector=run.settings) else None
    built = prospect_body_build(
        connector=run.settings,
        message=ctx.message,
        prospect_id=prospect_id,
        include_claims=include_claims,
        existing_prospect=existing,
        account_id=account_id,
        owner_id_for_email=owner_lookup,
    )
    for warning in built.warnings:
        if warning not in ctx.warnings:
            ctx.warnings.append(warning)
    return built.data


def _account_data(run: OutgoingRun, ctx: _Context, account_id) -> dict:
    built = account_body_build(connector=run.settings, message=ctx.message, account_id=account_id, include_claims=True)
    for warning in built.warnings:
        if warning not in ctx.warnings:
            ctx.warnings.append(warning)
    return built.data


def _data_for(run, ctx, kind: _Kind, record_id, *, include_claims: bool, existing=None, account_id=None) -> dict:
    if kind is PROSPECT:
        return _prospect_data(run, ctx, record_id, include_claims=include_claims, existing=existing,
                              account_id=account_id)
    return _account_data(run, ctx, record_id)


def _known_write(run: OutgoingRun, ctx: _Context, kind: _Kind, record_id, link: IdLink | None, *,
                 account_id=None) -> _Outcome | None:
    """PATCH a record whose id we hold. None when Outreach answered 404: the caller looks it up again."""
    existing = None
    include_claims = kind is ACCOUNT
    if kind is PROSPECT and user_email_change(message=ctx.message):
        # The new email goes first in `emails`, before what Outreach has: read it once (§3.2.2).
        include_claims = True
        try:
            existing = run.client.prospect_get(record_id)
        except OutreachNotFound:
            _link_drop(run, ctx, kind, record_id)
            return None
    data = _data_for(run, ctx, kind, record_id, include_claims=include_claims, existing=existing,
                     account_id=account_id)
    if existing is not None:
        known = outreach_values_read(connector=run.settings, entity=kind.entity, resource=existing)
    elif link is not None and link.outreach_id == _as_int(record_id):
        known = link.outreach_values or {}
    else:
        known = {}  # only Hull's outreach/id: we do not know what Outreach has
    if known and not outreach_values_changes(sending=body_values(data=data), known=known):
        return _no_changes(run, ctx, kind, data, record_id)
    try:
        response = _update(run, ctx, kind, record_id, data)
    except OutreachNotFound:
        _link_drop(run, ctx, kind, record_id)
        return None
    return _written(run, ctx, kind, response)


def _resolve_and_write(run: OutgoingRun, ctx: _Context, kind: _Kind, *, account_id=None) -> _Outcome:
    """No usable id: look it up by the claims, in order; create it when nothing matches (locked)."""
    filters = _lookup_filters(run, kind, ctx.subject)
    lock_key = "|".join(f"{name}={value}" for name, value in filters) or f"hull:{ctx.hull_id}"
    with identity_lock(connector=run.connector, entity=kind.entity, identity=lock_key):
        found = _lookup(run, kind, filters)
        if found is not None:
            return _found_write(run, ctx, kind, found, account_id=account_id)
        data = _data_for(run, ctx, kind, None, include_claims=True, account_id=account_id)
        try:
            response = _create(run, ctx, kind, data)
        except OutreachValidationError as exc:
            if kind is not PROSPECT or EMAIL_TAKEN not in exc.detail.lower():
                raise
            # Outreach has a prospect with this email that the lookup missed (another email of it,
            # a race with Outreach's own index): find it and update it instead.
            found = _lookup(run, kind, filters)
            if found is None:
                raise
            ctx.notes.append("Outreach said the email is already taken: updated that prospect instead")
            return _found_write(run, ctx, kind, found, account_id=account_id)
        except OutreachAmbiguousWrite:
            # The create may have happened: look before anything is sent again.
            found = _lookup(run, kind, filters)
            if found is None:
                raise  # not created: transient, the message is retried (and looks up first again)
            ctx.notes.append("the create timed out but Outreach has the record: not sent again")
            return _written(run, ctx, kind, found)
        return _written(run, ctx, kind, response)


def _found_write(run: OutgoingRun, ctx: _Context, kind: _Kind, found: dict, *, account_id=None) -> _Outcome:
    record_id = found["id"]
    data = _data_for(run, ctx, kind, record_id, include_claims=True, existing=found, account_id=account_id)
    known = outreach_values_read(connector=run.settings, entity=kind.entity, resource=found)
    if not outreach_values_changes(sending=body_values(data=data), known=known):
        # Nothing to change, but now we know who it is: link it and tell Hull, from what we read.
        _link_record(run, ctx, kind, record_id)
        _write_back(run, kind, found)
        return _no_changes(run, ctx, kind, data, record_id)
    response = _update(run, ctx, kind, record_id, data)
    return _written(run, ctx, kind, response)


def _no_changes(run: OutgoingRun, ctx: _Context, kind: _Kind, data: dict, record_id) -> _Outcome:
    fields = ", ".join(sorted(body_values(data=data))) or "no fields"
    subject = "prospect" if kind is PROSPECT else "account"
    return _skip(run, ctx, NO_CHANGES_TO_SEND.format(subject=subject, fields=fields), level=Level.INFO,
                 outreach_id=record_id)


def _written(run: OutgoingRun, ctx: _Context, kind: _Kind, response: dict) -> _Outcome:
    record_id = response["id"]
    _link_record(run, ctx, kind, record_id)
    _write_back(run, kind, response)
    message = "; ".join([ctx.reason, *ctx.notes, *ctx.warnings]) if ctx.reason else "; ".join([*ctx.notes, *ctx.warnings])
    run.log(
        ctx,
        "success",
        message,
        level=Level.WARNING if ctx.warnings else Level.INFO,
        outreach_id=record_id,
        payload={"data": ctx.body_sent, "type": kind.type_name, **({"warnings": ctx.warnings} if ctx.warnings else {})},
    )
    return _Outcome(MessageStatus.SUCCEEDED)


def _write_back(run: OutgoingRun, kind: _Kind, resource: dict) -> None:
    if kind is PROSPECT:
        run.writer.prospect(resource)
    else:
        run.writer.account(resource)


# -- Outreach calls (the exact body sent is kept for the log) -----------------------------------


def _sent_body(kind: _Kind, data: dict, record_id=None) -> dict:
    """The request body as the client sends it (connectors/outreach/client.py create/update)."""
    sent: dict = {"type": kind.resource}
    if record_id is not None:
        sent["id"] = int(record_id)
    sent["attributes"] = dict(data.get("attributes") or {})
    if data.get("relationships"):
        sent["relationships"] = data["relationships"]
    return {"data": sent}


def _update(run: OutgoingRun, ctx: _Context, kind: _Kind, record_id, data: dict) -> dict:
    ctx.body_sent = _sent_body(kind, data, record_id)
    update = run.client.prospect_update if kind is PROSPECT else run.client.account_update
    return update(record_id, attributes=data.get("attributes") or {}, relationships=data.get("relationships"))


def _create(run: OutgoingRun, ctx: _Context, kind: _Kind, data: dict) -> dict:
    ctx.body_sent = _sent_body(kind, data)
    create = run.client.prospect_create if kind is PROSPECT else run.client.account_create
    return create(attributes=data.get("attributes") or {}, relationships=data.get("relationships"))


def _lookup_filters(run: OutgoingRun, kind: _Kind, subject: dict) -> list[tuple[str, str]]:
    if kind is PROSPECT:
        return user_lookup_filters(connector=run.settings, user=subject)
    return account_lookup_filters(connector=run.settings, account=subject)


def _lookup(run: OutgoingRun, kind: _Kind, filters: list[tuple[str, str]]) -> dict | None:
    """The first record matching the first claim that matches anything (§3.2.2, §9.1 item 2)."""
    find = run.client.prospect_find if kind is PROSPECT else run.client.account_find
    for name, value in filters:
        try:
            records = find(name, value)
        except OutreachNotFound:
            continue
        if records:
            return records[0]
    return None


# -- accounts ------------------------------------------------------------------------------------


def _account_send(run: OutgoingRun, ctx: _Context) -> _Outcome:
    account = ctx.subject
    link = _link_for(run, Entity.ACCOUNT, ctx.hull_id)
    decision = account_outgoing_decision(
        connector=run.settings, message=ctx.message, is_batch=ctx.is_batch, has_link=link is not None
    )
    if not decision.send:
        return _skip(run, ctx, decision.reason)
    ctx.reason = decision.reason
    account_id = link.outreach_id if link is not None else account_outreach_id(account=account)
    if account_id is not None:
        outcome = _known_write(run, ctx, ACCOUNT, account_id, link)
        if outcome is not None:
            return outcome
    return _resolve_and_write(run, ctx, ACCOUNT)


def _account_for_user(run: OutgoingRun, ctx: _Context) -> int | str | None:
    """`link_users_in_service` (§3.4): the Outreach account to put in `relationships.account`, or None.

    A failed account create is logged as `outgoing.account.error` and the prospect is written
    without the relationship. Transient failures propagate (the message is retried).
    """
    plan = user_account_link_plan(connector=run.settings, message=ctx.message, is_batch=ctx.is_batch)
    if plan.action == "use_known_id":
        return plan.account_id
    if plan.action != "lookup_or_insert":
        return None
    account = ctx.message.get("account") or {}
    link = _link_for(run, Entity.ACCOUNT, str(account.get("id") or ""))
    if link is not None:
        return link.outreach_id
    filters = account_lookup_filters(connector=run.settings, account=account)
    account_ctx = _Context(row=ctx.row, message=ctx.message, kind=ACCOUNT, is_batch=ctx.is_batch,
                           reason=f"linked to the prospect: {plan.reason}")
    lock_key = "|".join(f"{name}={value}" for name, value in filters) or f"hull:{account.get('id')}"
    with identity_lock(connector=run.connector, entity=Entity.ACCOUNT, identity=lock_key):
        found = _lookup(run, ACCOUNT, filters)
        if found is not None:
            # Linked only, never updated, as the original (§3.4); remembered for the next users.
            _link_record(run, account_ctx, ACCOUNT, found["id"])
            return found["id"]
        data = _account_data(run, account_ctx, None)
        try:
            response = _create(run, account_ctx, ACCOUNT, data)
        except OutreachAmbiguousWrite:
            found = _lookup(run, ACCOUNT, filters)
            if found is None:
                raise
            response = found
        except (OutreachDetailedError, OutreachForbidden) as exc:
            _error_log(run, account_ctx, exc, kind=ACCOUNT, subject=account, body=account_ctx.body_sent)
            ctx.notes.append("the account could not be created in Outreach, so the prospect is not linked to it")
            return None
        _written(run, account_ctx, ACCOUNT, response)
        return response["id"]


# -- IdLink --------------------------------------------------------------------------------------


def _as_int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _link_for(run: OutgoingRun, entity: str, hull_id: str) -> IdLink | None:
    if not hull_id:
        return None
    return (
        IdLink.objects.filter(connector=run.connector, entity=entity, hull_id=hull_id)
        .order_by("-last_pushed_at", "-id")
        .first()
    )


def _link_record(run: OutgoingRun, ctx: _Context, kind: _Kind, record_id) -> None:
    """Remember who this Hull user/account is in Outreach. Values are recorded by the writer's flush."""
    outreach_id = _as_int(record_id)
    if outreach_id is None:
        return
    subject, hull_id = ctx.subject, ctx.hull_id
    identity = user_identity(user=subject) if kind is PROSPECT else account_identity(account=subject)
    fields = {"last_pushed_at": timezone.now()}
    if hull_id:
        fields["hull_id"] = hull_id[:64]
    if identity:
        fields["identity"] = identity[:255]
    for _ in range(2):
        try:
            with transaction.atomic():
                updated = IdLink.objects.filter(
                    connector=run.connector, entity=kind.entity, outreach_id=outreach_id
                ).update(**fields)
                if not updated:
                    IdLink.objects.create(connector=run.connector, entity=kind.entity, outreach_id=outreach_id, **fields)
            break
        except IntegrityError:  # the incoming side created it meanwhile: update it
            continue
    if hull_id:
        # This Hull user/account is this record now: a link to another (deleted, merged) one is stale.
        IdLink.objects.filter(connector=run.connector, entity=kind.entity, hull_id=hull_id).exclude(
            outreach_id=outreach_id
        ).delete()


def _link_drop(run: OutgoingRun, ctx: _Context, kind: _Kind, record_id) -> None:
    outreach_id = _as_int(record_id)
    if outreach_id is not None:
        IdLink.objects.filter(connector=run.connector, entity=kind.entity, outreach_id=outreach_id).delete()
    ctx.notes.append(
        f"the stored Outreach {kind.resource} id {record_id} no longer exists (404): dropped, looked up again"
    )
