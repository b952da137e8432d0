"""The sandbox notifier: plays Hull's part and calls the connector's /smart-notifier and /batch.

`Notifier(organization, transport=...)`: the transport is `transport(path, body, query) -> (status, json)`.
Tests pass one that goes through Django's test client; the default uses real HTTP to
`organization.connector_url`.
"""

import hashlib
import json
import uuid
from collections.abc import Callable

import requests

from connectors.hull.sandbox.identity import account_attributes, snapshot, user_attributes
from connectors.hull.sandbox.models import Account, Export, Organization, Pending, Segment, User

MESSAGES_PER_NOTIFICATION = 100
Transport = Callable[[str, dict, dict | None], tuple[int, dict]]


def http_transport(organization: Organization) -> Transport:
    def send(path: str, body: dict, query: dict | None) -> tuple[int, dict]:
        # Reference: https://www.hull.io/docs/reference/connectors/ (Hull posts notifications to the connector)
        response = requests.post(
            organization.connector_url.rstrip("/") + path, json=body, params=query or None, timeout=(5, 60)
        )
        try:
            return response.status_code, response.json()
        except ValueError:
            return response.status_code, {"text": response.text[:500]}

    return send


def segment_json(segment: Segment) -> dict:
    return {
        "id": segment.hull_id,
        "name": segment.name,
        "type": "users_segment" if segment.entity == "user" else "accounts_segment",
        "created_at": segment.created_at.isoformat().replace("+00:00", "Z"),
        "updated_at": segment.updated_at.isoformat().replace("+00:00", "Z"),
        "stats": {},
    }


def _diff(before: dict, after: dict) -> dict:
    ignored = {"segment_ids", "indexed_at", "updated_at"}
    changes = {}
    for key in sorted(set(before) | set(after)):
        if key in ignored:
            continue
        old, new = before.get(key), after.get(key)
        if old != new:
            changes[key] = [old, new]
    return changes


def _entered_left(before_ids: list[str], after_ids: list[str], segments: dict[str, dict]) -> dict:
    entered = [segments[i] for i in after_ids if i not in before_ids and i in segments]
    left = [segments[i] for i in before_ids if i not in after_ids and i in segments]
    result = {}
    if entered:
        result["entered"] = entered
    if left:
        result["left"] = left
    return result


class Notifier:
    def __init__(self, organization: Organization, transport: Transport | None = None):
        self.organization = organization
        self.transport = transport or http_transport(organization)
        self.sent: list[tuple[str, dict, int, dict]] = []  # (path, body, status, answer)

    # The envelope ---------------------------------------------------------------------------------

    def _segments(self, entity: str) -> dict[str, dict]:
        return {
            s.hull_id: segment_json(s)
            for s in Segment.objects.filter(organization=self.organization, entity=entity).order_by("id")
        }

    def envelope(self, channel: str, messages: list[dict], *, is_export: bool = False) -> dict:
        organization = self.organization
        body = {
            "notification_id": str(uuid.uuid4()),
            "configuration": {
                "id": organization.connector_id,
                "organization": organization.host,
                "secret": organization.connector_secret,
            },
            "connector": {"id": organization.connector_id, "private_settings": {}},
            "channel": channel,
            "segments": list(self._segments("user").values()),
            "accounts_segments": list(self._segments("account").values()),
            "messages": messages,
        }
        if is_export:
            body["is_export"] = True
        return body

    def _post(self, path: str, body: dict, query: dict | None = None) -> tuple[int, dict]:
        status, answer = self.transport(path, body, query)
        self.sent.append((path, body, status, answer))
        return status, answer

    def _send(self, channel: str, messages: list[dict], *, is_export: bool = False) -> list[dict]:
        bodies = []
        for start in range(0, len(messages), MESSAGES_PER_NOTIFICATION):
            body = self.envelope(channel, messages[start : start + MESSAGES_PER_NOTIFICATION], is_export=is_export)
            self._post("/smart-notifier", body)
            bodies.append(body)
        return bodies

    # user:update / account:update ----------------------------------------------------------------

    @staticmethod
    def _message_id(*parts) -> str:
        return hashlib.sha1(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()

    def user_message(self, user: User, before: dict | None, segments: dict, account_segments: dict) -> dict | None:
        now = snapshot("user", user)
        old = before or {"attributes": {}, "segment_ids": [], "account": {}, "account_segment_ids": [], "last_event_id": 0}
        events = [
            {
                "event": e.event,
                "properties": e.properties,
                "event_id": e.event_id,
                "created_at": e.created_at,
                "context": {"source": e.source},
            }
            for e in user.events.filter(id__gt=old.get("last_event_id") or 0).order_by("id")
        ]
        changes = {
            "is_new": before is None,
            "user": _diff(old["attributes"], now["attributes"]),
            "account": _diff(old["account"], now["account"]),
            "segments": _entered_left(old["segment_ids"], now["segment_ids"], segments),
            "account_segments": _entered_left(old["account_segment_ids"], now["account_segment_ids"], account_segments),
        }
        if before is not None and not any(changes[k] for k in ("user", "account", "segments", "account_segments")) and not events:
            return None
        user_json = {**now["attributes"], "segment_ids": now["segment_ids"]}
        return {
            "user": user_json,
            "account": now["account"],
            "segments": [segments[i] for i in now["segment_ids"] if i in segments],
            "account_segments": [account_segments[i] for i in now["account_segment_ids"] if i in account_segments],
            "changes": changes,
            "events": events,
            "message_id": self._message_id("user", user.hull_id, changes, len(events)),
        }

    def account_message(self, account: Account, before: dict | None, account_segments: dict) -> dict | None:
        now = snapshot("account", account)
        old = before or {"attributes": {}, "segment_ids": []}
        changes = {
            "is_new": before is None,
            "account": _diff(old["attributes"], now["attributes"]),
            "account_segments": _entered_left(old["segment_ids"], now["segment_ids"], account_segments),
        }
        if before is not None and not changes["account"] and not changes["account_segments"]:
            return None
        return {
            "account": now["attributes"],
            "account_segments": [account_segments[i] for i in now["segment_ids"] if i in account_segments],
            "changes": changes,
            "message_id": self._message_id("account", account.hull_id, changes),
        }

    def notify(self) -> list[dict]:
        """Send user:update / account:update for everything changed since the last call. Returns the bodies."""
        pending = list(Pending.objects.filter(organization=self.organization).order_by("id"))
        if not pending:
            return []
        segments, account_segments = self._segments("user"), self._segments("account")
        user_before = {p.object_id: p.before for p in pending if p.entity == "user"}
        account_before = {p.object_id: p.before for p in pending if p.entity == "account"}
        # Users of a changed account see it in changes.account, as in Hull.
        for account_pk, before in account_before.items():
            if before is None:
                continue
            for user in User.objects.filter(account_id=account_pk).exclude(pk__in=user_before):
                user_now = snapshot("user", user)
                user_before[user.pk] = {
                    **user_now,
                    "account": before["attributes"],
                    "account_segment_ids": before["segment_ids"],
                }
        user_messages = []
        for user in User.objects.filter(pk__in=user_before).order_by("id"):
            message = self.user_message(user, user_before[user.pk], segments, account_segments)
            if message:
                user_messages.append(message)
        account_messages = []
        for account in Account.objects.filter(pk__in=account_before).order_by("id"):
            message = self.account_message(account, account_before[account.pk], account_segments)
            if message:
                account_messages.append(message)
        Pending.objects.filter(pk__in=[p.pk for p in pending]).delete()
        bodies = []
        if user_messages:
            bodies += self._send("user:update", user_messages)
        if account_messages:
            bodies += self._send("account:update", account_messages)
        return bodies

    # "Send to" exports -------------------------------------------------------------------------------

    def export_users(self, users) -> list[dict]:
        """An `is_export` user:update notification: {user, account, segments, message_id, update_id}."""
        segments = self._segments("user")
        messages = []
        for user in users:
            ids = sorted(s.hull_id for s in user.segments.all())
            messages.append(
                {
                    "user": {**user_attributes(user), "segment_ids": ids},
                    "account": account_attributes(user.account),
                    "segments": [segments[i] for i in ids if i in segments],
                    "message_id": self._message_id("export", user.hull_id, str(uuid.uuid4())),
                    "update_id": f"{self.organization.connector_id}:export",
                }
            )
        return self._send("user:update", messages, is_export=True)

    def export_accounts(self, accounts) -> list[dict]:
        segments = self._segments("account")
        messages = []
        for account in accounts:
            ids = sorted(s.hull_id for s in account.segments.all())
            messages.append(
                {
                    "account": account_attributes(account),
                    "user": {},
                    "segments": {},
                    "account_segments": [segments[i] for i in ids if i in segments],
                    "message_id": self._message_id("export", account.hull_id, str(uuid.uuid4())),
                    "update_id": f"{self.organization.connector_id}:export",
                }
            )
        return self._send("account:update", messages, is_export=True)

    def batch(self, *, entity: str, object_ids: list[int], base_url: str, segment_id: str = "") -> tuple[int, dict]:
        """Legacy /batch: serve the selection as a JSON-lines file and tell the connector where it is."""
        export = Export.objects.create(organization=self.organization, entity=entity, object_ids=list(object_ids))
        organization = self.organization
        query = {"ship": organization.connector_id, "organization": organization.host, "secret": organization.connector_secret}
        if segment_id:
            query["segment_id"] = segment_id
        body = {
            "url": f"{base_url.rstrip('/')}/exports/{export.token}.json",
            "format": "json",
            "object_type": "user_report" if entity == "user" else "account_report",
            "channel": f"{entity}:extract",
            "notification_id": f"{entity}:extract:{export.token[:24]}",
            "segments": list(self._segments("user").values()),
            "account_segments": list(self._segments("account").values()),
        }
        return self._post("/batch" if entity == "user" else "/batch-accounts", body, query)


def export_lines(export: Export):
    """The export file, one JSON object per line, read from the database in chunks."""
    if export.entity == "user":
        queryset = User.objects.filter(organization=export.organization)
        queryset = queryset.select_related("account").prefetch_related("segments")
    else:
        queryset = Account.objects.filter(organization=export.organization)
        queryset = queryset.prefetch_related("segments")
    ids = list(export.object_ids)
    for start in range(0, len(ids), 500):
        for obj in queryset.filter(pk__in=ids[start : start + 500]).order_by("id"):
            segment_ids = sorted(s.hull_id for s in obj.segments.all())
            if export.entity == "user":
                line = {**user_attributes(obj), "segment_ids": segment_ids, "account": account_attributes(obj.account)}
            else:
                line = {**account_attributes(obj), "segment_ids": segment_ids}
            yield (json.dumps(line) + "\n").encode()

