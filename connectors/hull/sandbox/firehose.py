"""The sandbox firehose: what Hull does with a batch of traits/track entries.

`firehose_receive` is the in-process entry point (the HTTP view calls it too). A batch is applied
all-or-nothing: an entry whose JWT does not verify against the connector secret, or that Hull would
reject, refuses the whole batch loudly (400), so a wrong token never passes unnoticed in a test.
"""

import jwt
from django.db import transaction

from connectors.hull.claims import AS_ACCOUNT, AS_USER, SUBJECT_TYPE, access_token_decode
from connectors.hull.sandbox.identity import (
    FirehoseRejected,
    account_resolve,
    pending_mark,
    traits_apply,
    user_resolve,
)
from connectors.hull.sandbox.models import Event, Organization, Write


class FirehoseResult:
    def __init__(self, status: int, body: dict):
        self.status = status
        self.body = body


def firehose_receive(*, app_id: str, organization_host: str, payload) -> FirehoseResult:
    organization = Organization.objects.filter(connector_id=app_id, host=organization_host).first()
    if organization is None:
        return FirehoseResult(401, {"error": "unknown Hull-App-Id / Hull-Organization"})
    # Fault injection: answer the next request(s) with the queued statuses, applying nothing.
    with transaction.atomic():
        faults = Organization.objects.select_for_update().get(pk=organization.pk).firehose_faults
        if faults:
            Organization.objects.filter(pk=organization.pk).update(firehose_faults=faults[1:])
            return FirehoseResult(int(faults[0]), {"error": "injected fault"})
    if not isinstance(payload, dict) or not isinstance(payload.get("batch"), list):
        return FirehoseResult(400, {"error": "body must be {batch: [...]}"})
    try:
        with transaction.atomic():
            for index, entry in enumerate(payload["batch"]):
                try:
                    entry_apply(organization, entry)
                except FirehoseRejected as exc:
                    raise FirehoseRejected(f"batch[{index}]: {exc}") from exc
    except FirehoseRejected as exc:
        return FirehoseResult(400, {"error": str(exc)})
    if organization.auto_notify:
        from connectors.hull.sandbox.notifier import Notifier

        Notifier(organization).notify()
    return FirehoseResult(200, {"ok": True, "count": len(payload["batch"])})


def entry_apply(organization: Organization, entry) -> Write:
    if not isinstance(entry, dict) or entry.get("type") not in ("traits", "track"):
        raise FirehoseRejected("type must be traits or track")
    token = (entry.get("headers") or {}).get("Hull-Access-Token")
    if not token:
        raise FirehoseRejected("missing Hull-Access-Token")
    try:
        claims = access_token_decode(token, secret=organization.connector_secret)
    except jwt.InvalidTokenError as exc:
        raise FirehoseRejected(f"Hull-Access-Token does not verify: {exc}") from exc
    if claims.get("iss") != organization.connector_id:
        raise FirehoseRejected("Hull-Access-Token iss is not this connector")
    as_user, as_account = claims.get(AS_USER), claims.get(AS_ACCOUNT)
    subject_type = claims.get(SUBJECT_TYPE) or ("account" if as_account and not as_user else "user")
    body = entry.get("body") or {}
    if not isinstance(body, dict):
        raise FirehoseRejected("body must be an object")
    write = Write(
        organization=organization,
        type=entry["type"],
        subject_type=subject_type,
        as_user=as_user,
        as_account=as_account,
        body=body,
    )
    user = account = None
    if as_user:
        user, _ = user_resolve(organization, as_user)
    if as_account:
        account, _ = account_resolve(organization, as_account)
    if entry["type"] == "track":
        if user is None:
            raise FirehoseRejected("track needs user claims")
        _track(organization, user, body)
    elif subject_type == "account":
        if account is None:
            raise FirehoseRejected("subjectType account needs account claims")
        traits_apply("account", account, body)
        if user is not None and user.account_id != account.pk:
            pending_mark(organization, "user", user)
            user.account = account
            user.save(update_fields=["account"])
    else:
        if user is None:
            raise FirehoseRejected("subjectType user needs user claims")
        traits_apply("user", user, body)
    write.user, write.account = user, account
    write.save()
    return write


def _track(organization: Organization, user, body: dict) -> None:
    event_id = str(body.get("event_id") or "")
    if event_id and Event.objects.filter(organization=organization, user=user, event_id=event_id).exists():
        return  # Hull drops a user's event whose event_id it already has
    if not body.get("event"):
        raise FirehoseRejected("track needs an event name")
    Event.objects.create(
        organization=organization,
        user=user,
        event=str(body["event"]),
        properties=body.get("properties") or {},
        event_id=event_id,
        source=str(body.get("source") or ""),
        created_at=str(body.get("created_at") or ""),
    )
