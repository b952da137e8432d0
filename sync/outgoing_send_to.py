"""The console's "Send to Outreach": staff type Hull ids or emails; hullreach sends those users again.

hullreach has no Hull API to read a user on demand (a connector only receives what Hull notifies), so
a target is resent from the newest message Hull sent us about it: that message's user, account and
segments, as a "Send to" export (`is_export`: the segment filters are bypassed, as Hull's own Send
to does). The copies become a notification of their own, attached to the job, so a retry or a re-run
of the job resends exactly the messages that did not succeed. A target we never received is skipped
with a line telling staff to use Send to in Hull, which notifies us with the whole user.
"""

from django.db import transaction

from connectors.hull.messages import changes_normalise
from sync.choices import Entity, Level
from sync.logs import sync_log
from sync.models import HullMessage, HullNotification, SyncJob

NEVER_SEEN = (
    "hullreach has never received {target} from Hull, so it has nothing to send. Use \"Send to\" on this {what} in "
    "Hull (the connector's segment or the user's page): Hull then notifies hullreach with the whole user."
)


def _latest(queryset):
    return queryset.order_by("-notification__received_at", "-id").first()


def send_to_notification(*, job: SyncJob) -> HullNotification:
    """Make (once) the notification of copies this SEND_TO_OUTREACH job sends; log unknown targets."""
    connector = job.connector
    hull_ids = [str(h) for h in job.params.get("hull_ids") or [] if str(h).strip()]
    emails = [str(e).strip() for e in job.params.get("emails") or [] if str(e).strip()]
    stored = HullMessage.objects.filter(notification__connector=connector).exclude(body={})
    found: dict[int, HullMessage] = {}
    missing: list[tuple[str, str]] = []
    for hull_id in hull_ids:
        row = _latest(stored.filter(hull_id=hull_id))
        if row is None:
            missing.append((f"the Hull id {hull_id}", "user or account"))
        else:
            found.setdefault(row.pk, row)
    for email in emails:
        row = _latest(stored.filter(entity=Entity.USER, body__user__email__iexact=email))
        if row is None:
            missing.append((f"a user with the email {email}", "user"))
        else:
            found.setdefault(row.pk, row)
    with transaction.atomic():
        notification = HullNotification.objects.create(
            connector=connector,
            source=HullNotification.Source.SMART_NOTIFIER,
            channel="user:update",
            is_export=True,
            object_type="send_to",
            message_count=len(found),
        )
        HullMessage.objects.bulk_create(
            [
                HullMessage(
                    notification=notification,
                    position=position,
                    entity=row.entity,
                    hull_id=row.hull_id,
                    # Old `changes` would replay an email change (and its GET): a Send to has none.
                    body={**row.body, "changes": changes_normalise({}), "is_export": True},
                )
                for position, row in enumerate(found.values())
            ]
        )
        job.notification = notification
        job.skipped += len(missing)
        job.save(update_fields=["notification", "skipped"])
        for target, what in missing:
            sync_log(
                connector=connector,
                job=job,
                event="outgoing.user.skip",
                level=Level.INFO,
                email=target.rsplit(" ", 1)[-1] if "@" in target else "",
                hull_id=target.rsplit(" ", 1)[-1] if "@" not in target else "",
                message=NEVER_SEEN.format(target=target, what=what),
                payload={"target": target, "type": "SendTo"},
            )
    return notification
