"""The Outreach API v2 client: JSON:API resources in, taxonomy errors out, no work lost.

- Every request claims a slot in the shared rate budget, carries a fresh bearer token (refreshed
  ahead of expiry, and once more on a 401), and is retried on 5xx/timeouts with exponential backoff
  and jitter. A POST is never retried after it may have reached Outreach: OutreachAmbiguousWrite.
- A 429 waits until the reset and repeats the same request.
- Listings use cursor pagination and yield one page at a time with the URL of the next one, so a
  fetch job can checkpoint after each page and resume from it.
"""

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from datetime import timezone as dt_timezone
from urllib.parse import parse_qsl, urlencode, urlsplit

import requests
from django.core.cache import cache

from connectors.outreach import http
from connectors.outreach.clock import clock_default
from connectors.outreach.errors import (
    OutreachAmbiguousWrite,
    OutreachBadRequest,
    OutreachForbidden,
    OutreachNotFound,
    OutreachRateLimited,
    OutreachTransient,
    OutreachUnauthorized,
    OutreachValidationError,
)
from connectors.outreach.oauth import connector_needs_reauth, outreach_token_refresh, token_expiring
from connectors.outreach.ratelimit import BudgetExhausted, RateBudget, rate_budget_for
from sync.choices import AuthStatus

RESOURCES = {
    "prospect": "prospects",
    "account": "accounts",
    "user": "users",
    "stage": "stages",
    "webhook": "webhooks",
    "event": "events",
    "mailing": "mailings",
    "sequence": "sequences",
    "sequenceStep": "sequenceSteps",
    "sequenceState": "sequenceStates",
}
FIND_FIELDS = {
    "prospect": {"emails", "externalId", "firstName", "lastName", "title", "id"},
    "account": {"domain", "customId", "externalId", "name", "id"},
}
MAX_PAGE_SIZE = 1000
MAP_CACHE_SECONDS = 3600
MAP_MIN_REFRESH_SECONDS = 60


@dataclass
class Page:
    """One page of a listing: its records, the URL it came from, and the URL of the next page."""

    records: list[dict]
    url: str
    next_url: str | None
    # For changed-since listings: the highest updatedAt seen so far and the ids at that instant,
    # which is exactly what the next run must pass back as `since` / `exclude_ids`.
    high_water: str | None = None
    high_water_ids: list[int] = field(default_factory=list)
    # Outreach's `meta.count` of the whole listing, when the request asked for it (`count=true`).
    total: int | None = None


def _plural(resource: str) -> str:
    try:
        return RESOURCES[resource]
    except KeyError:
        raise ValueError(f"unknown Outreach resource {resource!r}") from None


def _error_from_body(response: requests.Response) -> dict:
    try:
        errors = response.json().get("errors") or [{}]
        first = errors[0] if isinstance(errors[0], dict) else {}
    except (ValueError, AttributeError):
        first = {"detail": response.text[:500]}
    return {
        "error_id": str(first.get("id") or ""),
        "title": str(first.get("title") or ""),
        "detail": str(first.get("detail") or first.get("details") or ""),
        "pointer": str((first.get("source") or {}).get("pointer") or ""),
    }


class OutreachClient:
    def __init__(
        self,
        connector,
        *,
        clock=None,
        budget: RateBudget | None = None,
        session: requests.Session | None = None,
        max_retries: int = 3,
        backoff_seconds: float = 1.0,
        max_rate_wait_seconds: float = 3600.0,
    ):
        self.connector = connector
        self.clock = clock or clock_default()
        self.budget = budget or rate_budget_for(connector, clock=self.clock)
        self.session = session or http.session_create()
        self.max_retries = max_retries
        self.backoff_seconds = backoff_seconds
        self.max_rate_wait_seconds = max_rate_wait_seconds
        # Requests sent to the API (each retry counts): benchmarks and tests assert on it.
        self.request_count = 0
        self._maps: dict[str, dict] = {}
        self._maps_fetched_at: dict[str, float] = {}

    # -- the seam ------------------------------------------------------------------------------

    def _token(self) -> str:
        if self.connector.outreach_auth_status == AuthStatus.NEEDS_REAUTH:
            raise OutreachUnauthorized(self.connector.outreach_auth_error or "Outreach needs re-authorization.")
        if not self.connector.outreach_access_token and not self.connector.outreach_refresh_token:
            raise OutreachUnauthorized("The connector is not connected to Outreach.")
        if not self.connector.outreach_access_token or token_expiring(self.connector):
            return outreach_token_refresh(
                connector=self.connector, failed_access_token=self.connector.outreach_access_token
            )
        return self.connector.outreach_access_token

    def _backoff(self, attempt: int) -> None:
        ceiling = self.backoff_seconds * 2 ** (attempt - 1)
        self.clock.sleep(ceiling / 2 + random.uniform(0, ceiling / 2))

    def request(self, method: str, path_or_url: str, *, params: dict | None = None, body: dict | None = None):
        """Send one API call; the decoded JSON body (None for 204). Raises the errors.py taxonomy."""
        url = path_or_url if path_or_url.startswith(("http://", "https://")) else http.api_url(path_or_url)
        data = json.dumps(body) if body is not None else None
        is_create = method.upper() == "POST"
        attempt = 0
        refreshed = False
        rate_waits = 0
        while True:
            token = self._token()
            try:
                self.budget.acquire(max_wait=self.max_rate_wait_seconds)
            except BudgetExhausted as exc:
                raise OutreachRateLimited(
                    "the hourly Outreach request budget is spent",
                    reset_at=datetime.fromtimestamp(exc.reset_at, dt_timezone.utc),
                ) from exc
            self.request_count += 1
            try:
                response = self.session.request(
                    method,
                    url,
                    params=params,
                    data=data,
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=http.timeouts(),
                )
            except requests.ConnectTimeout as exc:  # never reached Outreach: safe to repeat, even a POST
                attempt += 1
                if attempt > self.max_retries:
                    raise OutreachTransient(f"Outreach unreachable: {type(exc).__name__}") from exc
                self._backoff(attempt)
                continue
            except requests.RequestException as exc:
                if is_create:
                    raise OutreachAmbiguousWrite(
                        f"{method} {urlsplit(url).path} may or may not have reached Outreach ({type(exc).__name__})",
                        method=method,
                        url=url,
                    ) from exc
                attempt += 1
                if attempt > self.max_retries:
                    raise OutreachTransient(
                        f"Outreach did not answer {method} {urlsplit(url).path} after {attempt} attempts "
                        f"({type(exc).__name__})"
                    ) from exc
                self._backoff(attempt)
                continue

            self.budget.observe(response.headers)
            status = response.status_code
            if status < 300:
                if status == 204 or not response.content:
                    return None
                return response.json()
            if status == 401:
                if refreshed:
                    reason = "Outreach refused a freshly refreshed token (second 401): connect Outreach again."
                    connector_needs_reauth(connector=self.connector, reason=reason)
                    raise OutreachUnauthorized(reason, status=401)
                refreshed = True
                outreach_token_refresh(connector=self.connector, failed_access_token=token)
                continue
            if status == 429:
                reset_at = self._reset_at(response)
                wait = reset_at - self.clock.time()
                self.budget.block_until(reset_at)
                rate_waits += 1
                if wait > self.max_rate_wait_seconds or rate_waits > 3:
                    raise OutreachRateLimited(
                        "Outreach rate limit exceeded: "
                        + (_error_from_body(response)["detail"] or "too many requests"),
                        reset_at=datetime.fromtimestamp(reset_at, dt_timezone.utc),
                    )
                continue  # budget.acquire() sleeps until the reset, then the same request repeats
            if status >= 500:
                if is_create:
                    raise OutreachAmbiguousWrite(
                        f"{method} {urlsplit(url).path} answered {status}: the create may or may not have happened",
                        method=method,
                        url=url,
                        status=status,
                    )
                attempt += 1
                if attempt > self.max_retries:
                    raise OutreachTransient(
                        f"Outreach answered {status} to {method} {urlsplit(url).path} after {attempt} attempts",
                        status=status,
                    )
                self._backoff(attempt)
                continue
            details = _error_from_body(response)
            if status == 404:
                raise OutreachNotFound(status=status, **details)
            if status == 422:
                raise OutreachValidationError(status=status, **details)
            if status == 403:
                raise OutreachForbidden(
                    f"Outreach Error Details: [{details['error_id']}] {details['title']}: {details['detail']}",
                    status=status,
                )
            raise OutreachBadRequest(status=status, **details)

    def _reset_at(self, response: requests.Response) -> float:
        now = self.clock.time()
        for header in ("X-RateLimit-Reset",):
            value = response.headers.get(header)
            if value:
                try:
                    return max(now, float(str(value).split(",")[0]))
                except ValueError:
                    pass
        retry_after = response.headers.get("Retry-After")
        if retry_after:
            try:
                return now + float(retry_after)
            except ValueError:
                pass
        return now + 60

    # -- records -----------------------------------------------------------------------------

    def get(self, resource: str, record_id: int) -> dict:
        # Reference: https://developers.outreach.io/api/reference/tag/Prospect/#tag/Prospect/paths/~1prospects~1{id}/get
        return self.request("GET", f"{_plural(resource)}/{int(record_id)}")["data"]

    def find(self, resource: str, field_name: str, value) -> list[dict]:
        """Records whose `field_name` equals `value` (for `emails`: contains it). At most 1000."""
        # Reference: https://developers.outreach.io/api/making-requests/#filtering
        params = {f"filter[{field_name}]": str(value), "page[size]": MAX_PAGE_SIZE, "count": "false"}
        return self.request("GET", _plural(resource), params=params)["data"]

    def create(self, resource: str, *, attributes: dict, relationships: dict | None = None) -> dict:
        body = {"data": {"type": resource, "attributes": attributes}}
        if relationships:
            body["data"]["relationships"] = relationships
        # Reference: https://developers.outreach.io/api/reference/tag/Prospect/#tag/Prospect/paths/~1prospects/post
        return self.request("POST", _plural(resource), body=body)["data"]

    def update(self, resource: str, record_id: int, *, attributes: dict, relationships: dict | None = None) -> dict:
        body = {"data": {"type": resource, "id": int(record_id), "attributes": attributes}}
        if relationships:
            body["data"]["relationships"] = relationships
        # Reference: https://developers.outreach.io/api/reference/tag/Prospect/#tag/Prospect/paths/~1prospects~1{id}/patch
        return self.request("PATCH", f"{_plural(resource)}/{int(record_id)}", body=body)["data"]

    def prospect_get(self, prospect_id: int) -> dict:
        return self.get("prospect", prospect_id)

    def prospect_find(self, field_name: str, value) -> list[dict]:
        return self.find("prospect", field_name, value)

    def prospect_create(self, *, attributes: dict, relationships: dict | None = None) -> dict:
        return self.create("prospect", attributes=attributes, relationships=relationships)

    def prospect_update(self, prospect_id: int, *, attributes: dict, relationships: dict | None = None) -> dict:
        return self.update("prospect", prospect_id, attributes=attributes, relationships=relationships)

    def account_get(self, account_id: int) -> dict:
        return self.get("account", account_id)

    def account_find(self, field_name: str, value) -> list[dict]:
        return self.find("account", field_name, value)

    def account_create(self, *, attributes: dict, relationships: dict | None = None) -> dict:
        return self.create("account", attributes=attributes, relationships=relationships)

    def account_update(self, account_id: int, *, attributes: dict, relationships: dict | None = None) -> dict:
        return self.update("account", account_id, attributes=attributes, relationships=relationships)

    # -- listings ------------------------------------------------------------------------------

    def iter_pages(
        self,
        resource: str,
        *,
        page_size: int = MAX_PAGE_SIZE,
        params: dict | None = None,
        start_url: str | None = None,
    ) -> Iterator[Page]:
        """Every page of a collection, following `links.next`. Resume with `start_url=page.next_url`."""
        collection = http.api_url(_plural(resource))
        if start_url:
            url, query = self._rebase(collection, start_url), None
        else:
            url = collection
            query = {"page[size]": min(int(page_size), MAX_PAGE_SIZE), "count": "false", **(params or {})}
        while True:
            # Reference: https://developers.outreach.io/api/making-requests/#pagination
            body = self.request("GET", url, params=query)
            next_link = (body.get("links") or {}).get("next")
            next_url = self._rebase(collection, next_link) if next_link else None
            display_url = requests.Request("GET", url, params=query).prepare().url
            total = (body.get("meta") or {}).get("count")
            total = int(total) if isinstance(total, (int, float)) and not isinstance(total, bool) else None
            yield Page(records=body.get("data") or [], url=display_url, next_url=next_url, total=total)
            if not next_url:
                return
            url, query = next_url, None

    def count(self, resource: str, *, params: dict | None = None) -> int | None:
        """How many records a listing has, as Outreach reports it in `meta.count` (None if it does not)."""
        query = {"page[size]": 1, "count": "true", **(params or {})}
        # Reference: https://developers.outreach.io/api/making-requests/#pagination
        body = self.request("GET", _plural(resource), params=query)
        count = ((body or {}).get("meta") or {}).get("count")
        return int(count) if isinstance(count, (int, float)) and not isinstance(count, bool) else None

    @staticmethod
    def _rebase(collection: str, link: str) -> str:
        """Keep the cursor's query but always on our configured API URL: the bearer token never
        follows a link to another host, and a link missing `/api/v2` still works. A count asked for
        on the first page is not asked again on every following one (counting costs Outreach time)."""
        query = [(k, "false" if k == "count" else v) for k, v in parse_qsl(urlsplit(link).query, keep_blank_values=True)]
        return f"{collection}?{urlencode(query)}"

    def iter_all(self, resource: str, *, page_size: int = MAX_PAGE_SIZE, params: dict | None = None) -> Iterator[dict]:
        for page in self.iter_pages(resource, page_size=page_size, params=params):
            yield from page.records

    def iter_changed_since(
        self,
        resource: str,
        *,
        since: str,
        exclude_ids=(),
        page_size: int = MAX_PAGE_SIZE,
        start_url: str | None = None,
    ) -> Iterator[Page]:
        """Pages of records with updatedAt >= `since`, oldest first, each record yielded once.

        Outreach's bounds are inclusive, so records updated exactly at `since` come again: pass the
        previous run's `high_water` as `since` and its `high_water_ids` as `exclude_ids`.
        """
        high_water = since
        at_high_water: set[int] = {int(i) for i in exclude_ids}
        params = {"filter[updatedAt]": f"{since}..inf", "sort": "updatedAt"}
        for page in self.iter_pages(resource, page_size=page_size, params=params, start_url=start_url):
            fresh = []
            for record in page.records:
                updated_at = (record.get("attributes") or {}).get("updatedAt") or ""
                record_id = int(record["id"])
                if updated_at == high_water and record_id in at_high_water:
                    continue
                if updated_at > high_water:
                    high_water, at_high_water = updated_at, set()
                if updated_at == high_water:
                    at_high_water.add(record_id)
                fresh.append(record)
            page.records = fresh
            page.high_water = high_water
            page.high_water_ids = sorted(at_high_water)
            yield page

    # -- users, stages, sequences and sequence steps (cached id maps) ---------------------------

    def _map(self, resource: str, attribute: str, *, force: bool = False) -> dict:
        """{"by_id": {id: value}, "by_value": {value: id}}: users (email), stages, sequences (name), steps."""
        key = f"outreach:map:{self.connector.pk}:{resource}"
        if not force:
            if resource in self._maps:
                return self._maps[resource]
            cached = cache.get(key)
            if cached is not None:
                self._maps[resource] = cached
                return cached
        by_id = {}
        # Reference: https://developers.outreach.io/api/reference/tag/User/  (and tag/Stage)
        for record in self.iter_all(resource, params={"fields[" + resource + "]": attribute}):
            value = (record.get("attributes") or {}).get(attribute)
            if value:
                by_id[int(record["id"])] = value
        mapping = {"by_id": by_id, "by_value": {str(v).lower(): k for k, v in by_id.items()}}
        cache.set(key, mapping, timeout=MAP_CACHE_SECONDS)
        self._maps[resource] = mapping
        self._maps_fetched_at[resource] = self.clock.time()
        return mapping

    def _lookup(self, resource: str, attribute: str, side: str, key, *, refresh_on_miss: bool = True):
        mapping = self._map(resource, attribute)
        found = mapping[side].get(key)
        fetched_at = self._maps_fetched_at.get(resource)
        if not refresh_on_miss:
            return found
        if found is None and (fetched_at is None or self.clock.time() - fetched_at >= MAP_MIN_REFRESH_SECONDS):
            # A miss may be a user or stage created since we cached: refresh (at most once a minute).
            found = self._map(resource, attribute, force=True)[side].get(key)
        return found

    def user_id_for_email(self, email: str) -> int | None:
        return self._lookup("user", "email", "by_value", (email or "").strip().lower())

    def user_email_for_id(self, user_id: int) -> str | None:
        return self._lookup("user", "email", "by_id", int(user_id))

    def stage_id_for_name(self, name: str) -> int | None:
        return self._lookup("stage", "name", "by_value", (name or "").strip().lower())

    def stage_name_for_id(self, stage_id: int) -> str | None:
        return self._lookup("stage", "name", "by_id", int(stage_id))

    def sequence_name_for_id(self, sequence_id: int) -> str | None:
        return self._lookup("sequence", "name", "by_id", int(sequence_id))

    def sequence_step_name_for_id(self, step_id: int) -> str | None:
        # No refresh on a miss: steps of deleted sequences are legitimately absent (as the original).
        return self._lookup("sequenceStep", "displayName", "by_id", int(step_id), refresh_on_miss=False)

    # -- activity ------------------------------------------------------------------------------

    def iter_events(self, *, params: dict, page_size: int = MAX_PAGE_SIZE, start_url: str | None = None) -> Iterator[Page]:
        """Pages of /events with these filters (e.g. filter[eventAt]=a..b, filter[id]=a..inf, sort)."""
        # Reference: https://developers.outreach.io/api/reference/tag/Event/#tag/Event/paths/~1events/get
        return self.iter_pages("event", page_size=page_size, params=params, start_url=start_url)

    def mailings_by_id(self, mailing_ids) -> dict[int, dict]:
        """The mailings with these ids (at most 1000), in one request: {id: mailing resource}."""
        ids = sorted({int(i) for i in mailing_ids})
        if not ids:
            return {}
        if len(ids) > MAX_PAGE_SIZE:
            raise ValueError(f"at most {MAX_PAGE_SIZE} mailings a request, got {len(ids)}")
        params = {"filter[id]": ",".join(str(i) for i in ids), "page[size]": MAX_PAGE_SIZE, "count": "false"}
        # Reference: https://developers.outreach.io/api/reference/tag/Mailing/#tag/Mailing/paths/~1mailings/get
        body = self.request("GET", _plural("mailing"), params=params)
        return {int(record["id"]): record for record in body.get("data") or []}

    def sequence_state_get(self, state_id: int) -> dict:
        # Reference: https://developers.outreach.io/api/reference/tag/Sequence-State/#tag/Sequence-State/paths/~1sequenceStates~1{id}/get
        return self.get("sequenceState", state_id)

    # -- webhooks ------------------------------------------------------------------------------

    def webhooks_list(self) -> list[dict]:
        # Reference: https://developers.outreach.io/api/reference/tag/Webhook/
        return [record for page in self.iter_pages("webhook", page_size=MAX_PAGE_SIZE) for record in page.records]

    def webhook_get(self, webhook_id: int) -> dict:
        return self.get("webhook", webhook_id)

    def webhook_create(self, *, url: str, secret: str, resource: str = "*", action: str = "*") -> dict:
        # Reference: https://developers.outreach.io/api/webhooks/
        return self.create(
            "webhook", attributes={"url": url, "secret": secret, "resource": resource, "action": action, "active": True}
        )

    def webhook_delete(self, webhook_id: int) -> None:
        # Reference: https://developers.outreach.io/api/reference/tag/Webhook/
        self.request("DELETE", f"webhooks/{int(webhook_id)}")
