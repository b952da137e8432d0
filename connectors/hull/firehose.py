"""Writing to Hull: the firehose client, bound to one connector.

Wire format (Hull's own client, `hull-client-node` lib/firehose.js):

    POST <firehose url>   headers Hull-App-Id, Hull-Organization
    {"batch": [{"type": "traits"|"track", "headers": {"Hull-Access-Token": <JWT>},
                "body": {...}, "timestamp": <iso>}, ...],
     "timestamp": <iso>, "sentAt": <iso>}

Entries are queued and sent 100 to a request; `flush()` sends the rest and must be called at the end
of each unit of work. A request that fails with 5xx/429/timeout is retried with backoff; when it
still fails `HullFirehoseError` is raised (a JobRetry, so the job runs again instead of dropping
writes). Queued entries stay queued after a failure.
"""

import time
from datetime import UTC, datetime
from typing import Any

import requests
from django.conf import settings

from connectors.hull.claims import access_token_claims, access_token_encode
from connectors.hull.http import hull_session, hull_timeout
from sync.errors import JobRetry

BATCH_SIZE = 100
ATTEMPTS = 4
BACKOFF_SECONDS = 0.5  # 0.5 s, 1 s, 2 s between the attempts
TRAIT_OPERATIONS = ("set", "setIfNull")


class HullFirehoseError(JobRetry):
    """The firehose did not take a batch after retries (or refused it). Nothing was dropped."""

    def __init__(self, message: str, *, status: int | None = None):
        super().__init__(message)
        self.status = status


def firehose_url(organization: str) -> str:
    """`HULL_FIREHOSE_URL`, else `https://firehose.<organization's domain>`.

    The organization host is `<org>.<domain>` (acme.hullapp.io): its first label is dropped.
    """
    if settings.HULL_FIREHOSE_URL:
        return settings.HULL_FIREHOSE_URL
    host = organization.strip().lower().split("/")[0]
    labels = host.split(".")
    domain = ".".join(labels[1:]) if len(labels) > 2 else host
    return f"https://firehose.{domain}"


def _iso(moment: datetime | None = None) -> str:
    return (moment or datetime.now(UTC)).isoformat().replace("+00:00", "Z")


def trait_operation(value: Any) -> dict:
    """A plain value means `set`; `{"operation": "setIfNull", "value": v}` passes through."""
    if isinstance(value, dict) and set(value) == {"operation", "value"}:
        if value["operation"] not in TRAIT_OPERATIONS:
            raise ValueError(f"unsupported trait operation {value['operation']!r}")
        return {"operation": value["operation"], "value": value["value"]}
    return {"operation": "set", "value": value}


class HullFirehose:
    """A connector's writes to Hull. Not thread-safe: one per unit of work."""

    def __init__(self, connector, *, batch_size: int = BATCH_SIZE, sleep=time.sleep):
        self.connector_id = connector.hull_id
        self.organization = connector.hull_organization
        self._secret = connector.hull_secret
        self.url = firehose_url(connector.hull_organization)
        self.batch_size = batch_size
        self.pending: list[dict] = []
        self.sent = 0
        self._sleep = sleep
        self._session: requests.Session | None = None

    # Operations -------------------------------------------------------------------------------

    def user_traits(self, claims: dict, traits: dict) -> None:
        body = {name: trait_operation(value) for name, value in traits.items()}
        self._add("traits", body, as_user=claims, as_account=None, subject_type="user")

    def account_traits(self, claims: dict, traits: dict) -> None:
        body = {name: trait_operation(value) for name, value in traits.items()}
        self._add("traits", body, as_user=None, as_account=claims, subject_type="account")

    def link_user_to_account(self, user_claims: dict, account_claims: dict) -> None:
        """Hull links (creating a shell account if needed) on a traits call with both claims."""
        self._add("traits", {}, as_user=user_claims, as_account=account_claims, subject_type="account")

    def track(
        self,
        user_claims: dict,
        *,
        event: str,
        properties: dict | None = None,
        event_id: str | None = None,
        created_at: datetime | str | None = None,
        source: str = "Outreach",
    ) -> None:
        if isinstance(created_at, datetime):
            created_at = _iso(created_at)
        body = {
            "event": event,
            "properties": properties or {},
            "ip": None,
            "url": None,
            "referer": None,
            "event_id": event_id,
            "created_at": created_at,
            "source": source,
        }
        self._add("track", body, as_user=user_claims, as_account=None, subject_type="user")

    def flush(self) -> int:
        """Send everything queued. Returns how many entries this client has sent in all."""
        while self.pending:
            self._send(self.pending[: self.batch_size])
        return self.sent

    # Wire -------------------------------------------------------------------------------------

    def _add(self, kind: str, body: dict, *, as_user, as_account, subject_type: str) -> None:
        claims = access_token_claims(
            connector_id=self.connector_id, as_user=as_user, as_account=as_account, subject_type=subject_type
        )
        self.pending.append(
            {
                "type": kind,
                "headers": {"Hull-Access-Token": access_token_encode(claims, secret=self._secret)},
                "body": body,
                "timestamp": _iso(),
            }
        )
        if len(self.pending) >= self.batch_size:
            self._send(self.pending[: self.batch_size])

    def _send(self, entries: list[dict]) -> None:
        now = _iso()
        payload = {"batch": entries, "timestamp": now, "sentAt": now}
        headers = {"Hull-App-Id": self.connector_id, "Hull-Organization": self.organization}
        if self._session is None:
            self._session = hull_session()
        problem = ""
        status = None
        for attempt in range(1, ATTEMPTS + 1):
            try:
                # Reference: https://www.hull.io/docs/reference/firehose/ (batched traits/track entries)
                response = self._session.post(self.url, json=payload, headers=headers, timeout=hull_timeout())
            except (requests.Timeout, requests.ConnectionError) as exc:
                problem, status = f"{type(exc).__name__} after {attempt} attempts", None
            else:
                status = response.status_code
                if status < 300:
                    del self.pending[: len(entries)]
                    self.sent += len(entries)
                    return
                problem = f"HTTP {status} after {attempt} attempts: {response.text[:200]}"
                if status < 500 and status != 429:
                    # Refused (bad token, bad body): retrying the same bytes cannot help.
                    raise HullFirehoseError(f"the Hull firehose refused a batch: HTTP {status}: {response.text[:200]}", status=status)
            if attempt < ATTEMPTS:
                self._sleep(BACKOFF_SECONDS * 2 ** (attempt - 1))
        raise HullFirehoseError(f"the Hull firehose did not take a batch of {len(entries)}: {problem}", status=status)
