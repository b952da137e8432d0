"""An in-memory Outreach organization that answers like Outreach API v2 (the parts hullreach uses).

One `OutreachSandbox` object holds the org (prospects, accounts, users, stages, webhooks, tokens),
records every request, injects faults and delivers signed webhooks. `handle()` is the whole
server: the requests transport adapter (tests, no sockets) and the Django view (/sandbox/outreach/)
both call it. Behaviour follows ../shared/reference/outreach-api.md §7; assumptions are marked (A).
"""

import base64
import hashlib
import hmac
import json
import math
import random
import secrets
import threading
import uuid
from bisect import bisect_right
from dataclasses import dataclass
from datetime import datetime
from datetime import timezone as dt_timezone
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

from connectors.outreach.clock import SYSTEM_CLOCK
from connectors.outreach.fields import fields_catalog

PLURALS = {
    "prospects": "prospect", "accounts": "account", "users": "user", "stages": "stage", "webhooks": "webhook",
    # Activity (read-only here): seeded with event_add/mailing_add/... or made by mailing_activity().
    "events": "event", "mailings": "mailing", "sequences": "sequence", "sequenceSteps": "sequenceStep",
    "sequenceStates": "sequenceState",
}
JSONAPI = "application/vnd.api+json"
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
MAX_OFFSET = 10000
TOKEN_SECONDS = 7200
RELATIONSHIP_TYPES = {
    "account": "account", "owner": "user", "stage": "stage", "creator": "user", "updater": "user",
    "prospect": "prospect", "user": "user", "mailing": "mailing", "sequence": "sequence",
    "sequenceStep": "sequenceStep", "sequenceState": "sequenceState", "mailbox": "mailbox",
}
# Relationships rendered per resource (JSON:API `{"data": {type, id}}`), besides prospect/account/webhook.
ACTIVITY_RELATIONSHIPS = {
    "event": ["mailing", "prospect", "user"],
    "mailing": ["mailbox", "prospect", "sequence", "sequenceState", "sequenceStep", "user"],
    "sequence": ["owner", "creator", "updater"],
    "sequenceStep": ["sequence", "creator", "updater"],
    "sequenceState": ["prospect", "sequence", "sequenceStep", "mailbox", "creator"],
}
# Webhook action on a mailing / sequence state -> the name of the event Outreach records for it.
MAILING_ACTION_EVENTS = {"delivered": "outbound_message", "opened": "message_opened", "replied": "inbound_message",
                         "bounced": "bounced_message"}
SEQUENCE_STATE_ACTION_EVENTS = {"advanced": "sequence_state_advanced", "finished": "sequence_state_finished"}
EVENT_ATTRIBUTES = ("body", "externalUrl", "mailingId", "payload", "requestCity", "requestDevice", "requestHost",
                    "requestProxied", "requestRegion")
WRITABLE_RELATIONSHIPS = {"prospect": {"account", "owner", "stage"}, "account": {"owner"}, "webhook": set()}
WEBHOOK_ATTRIBUTES = {"url", "secret", "resource", "action", "active", "payloadVersion"}


class SandboxTimeout(Exception):
    """The sandbox 'did not answer in time' (the adapter raises requests.ReadTimeout)."""


@dataclass
class RecordedRequest:
    method: str
    path: str  # relative to the API root, e.g. "/prospects/12", or "/oauth/token"
    query: dict  # {name: value} (last value wins), decoded
    json: dict | None
    headers: dict
    status: int = 0


@dataclass
class Fault:
    method: str | None
    path: str  # a path prefix, e.g. "/prospects"
    status: int = 503
    share: float = 1.0
    times: int | None = None  # None: forever
    timeout: bool = False
    after_write: bool = False  # the write happens, then the failure (an ambiguous create)


@dataclass
class Delivery:
    url: str
    headers: dict
    body: bytes
    event_name: str
    status: int | None = None

    @property
    def json(self) -> dict:
        return json.loads(self.body)


def iso(ts: float) -> str:
    """Outreach's timestamp format: UTC with milliseconds, e.g. 2018-11-28T15:42:32.000Z."""
    moment = datetime.fromtimestamp(ts, dt_timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _error(status: int, error_id: str, title: str, detail: str, pointer: str | None = None):
    error = {"id": error_id, "title": title, "detail": detail}
    if pointer:
        error["source"] = {"pointer": pointer}
    return status, {"errors": [error]}


class OutreachSandbox:
    def __init__(self, *, clock=None, rate_limit: int = 10000, rate_window_seconds: float = 3600, deliver=None, seed: int = 7):
        self.clock = clock or SYSTEM_CLOCK
        self.lock = threading.RLock()
        self.store: dict[str, dict[int, dict]] = {kind: {} for kind in PLURALS.values()}
        self._next_id = {kind: 1 for kind in PLURALS.values()}
        self.requests: list[RecordedRequest] = []
        self.record_requests = True
        self.faults: list[Fault] = []
        self.latency_seconds = 0.0
        self.rate_limit = rate_limit
        self.rate_window_seconds = rate_window_seconds
        self.rate_remaining_two_values = False  # emit "9999, 19988" as Outreach now does
        self._rate_counts: dict[tuple, int] = {}
        self.access_tokens: dict[str, float] = {}  # token -> expires at (epoch)
        self.refresh_tokens: set[str] = set()
        self.codes: set[str] = set()
        self.token_requests = 0
        self.client_id = None  # when set, the token endpoint checks client_id
        self.deliver = deliver  # callable(url, headers, body: bytes) -> status | None
        self.deliveries: list[Delivery] = []
        # Filter names answered as if absent: Outreach "sometimes ignores the server-side filter" ([EST]).
        self.ignored_filters: set[str] = set()
        self.org_id = str(uuid.UUID(int=seed))
        self.random = random.Random(seed)
        self.authorizer_user_id = self.user_add(email="owner@sandbox.outreach.test", name="Sandbox Owner")["id"]

    # -- direct state access (seeding and inspection; not recorded, no webhooks) ------------------

    def _new_id(self, kind: str) -> int:
        new = self._next_id[kind]
        self._next_id[kind] += 1
        return new

    def _now(self) -> str:
        return iso(self.clock.time())

    def _insert(self, kind: str, attributes: dict, relationships: dict | None = None, *, stamp: str | None = None) -> dict:
        with self.lock:
            now = stamp or self._now()
            record = {
                "id": self._new_id(kind),
                "attributes": {"createdAt": now, "updatedAt": now, **attributes},
                "relationships": {name: value for name, value in (relationships or {}).items()},
            }
            self._derive(kind, record)
            self.store[kind][record["id"]] = record
            return record

    def _derive(self, kind: str, record: dict) -> None:
        a = record["attributes"]
        if kind == "prospect":
            full = " ".join(p for p in (a.get("firstName"), a.get("lastName")) if p)
            a["name"] = full or ((a.get("emails") or [None])[0])
            a.setdefault("externalSource", "outreach-api")
        if kind == "account":
            a["externalSource"] = "outreach-api"
            a.setdefault("named", True)

    def user_add(self, *, email: str, name: str = "") -> dict:
        first, _, last = (name or email.split("@")[0]).partition(" ")
        return self._insert("user", {"email": email, "firstName": first, "lastName": last, "name": name or email})

    def stage_add(self, *, name: str) -> dict:
        return self._insert("stage", {"name": name})

    def prospect_add(self, relationships: dict | None = None, **attributes) -> dict:
        """Insert a prospect as if made in Outreach's UI (relationships: {"account": id, "owner": id})."""
        return self._insert("prospect", attributes, relationships)

    def account_add(self, relationships: dict | None = None, **attributes) -> dict:
        return self._insert("account", attributes, relationships)

    def webhook_add(self, *, url: str, secret: str | None = None, active: bool = True, **attributes) -> dict:
        return self._insert(
            "webhook",
            {"url": url, "secret": secret, "resource": "*", "action": "*", "active": active, **attributes},
            {"authorizer": self.authorizer_user_id},
        )

    # -- activity: sequences, mailings, sequence states and the events Outreach records ----------

    def sequence_add(self, *, name: str, **attributes) -> dict:
        return self._insert("sequence", {"name": name, "enabled": True, **attributes}, {"owner": self.authorizer_user_id})

    def sequence_step_add(self, *, sequence_id: int, order: int = 1, step_type: str = "auto_email", **attributes) -> dict:
        display = attributes.pop("displayName", None) or f"Step #{order} ({step_type.replace('_', ' ')})"
        return self._insert("sequenceStep", {"order": order, "stepType": step_type, "displayName": display, **attributes},
                            {"sequence": sequence_id})

    def sequence_state_add(self, *, prospect_id: int, sequence_id: int, step_id: int | None = None,
                           user_id: int | None = None) -> dict:
        return self._insert("sequenceState", {"state": "active", "stateChangedAt": self._now()},
                            {"prospect": prospect_id, "sequence": sequence_id, "sequenceStep": step_id,
                             "creator": user_id or self.authorizer_user_id})

    def mailing_add(self, *, prospect_id: int, subject: str = "Hello", sequence_id: int | None = None,
                    step_id: int | None = None, sequence_state_id: int | None = None, user_id: int | None = None,
                    state: str = "delivered", **attributes) -> dict:
        now = self._now()
        return self._insert(
            "mailing",
            {"subject": subject, "state": state, "mailingType": "sequence" if sequence_id else "single",
             "deliveredAt": now if state == "delivered" else None, "openCount": 0, "clickCount": 0, **attributes},
            {"prospect": prospect_id, "sequence": sequence_id, "sequenceStep": step_id,
             "sequenceState": sequence_state_id, "user": user_id or self.authorizer_user_id},
        )

    def event_add(self, *, name: str, prospect_id: int | None = None, user_id: int | None = None,
                  mailing_id: int | None = None, event_at: str | None = None, **attributes) -> dict:
        """An entry of Outreach's /events log (no webhook: Outreach sends none for events)."""
        unknown = set(attributes) - set(EVENT_ATTRIBUTES)
        if unknown:
            raise ValueError(f"not an event attribute: {sorted(unknown)}")
        at = event_at or self._now()
        values = {name_: None for name_ in EVENT_ATTRIBUTES}
        values.update({"requestProxied": False, "mailingId": mailing_id, **attributes, "name": name, "eventAt": at})
        record = self._insert("event", values, {"prospect": prospect_id, "user": user_id, "mailing": mailing_id}, stamp=at)
        record["attributes"].pop("updatedAt", None)  # events are immutable: no updatedAt
        return record

    def events_seed(self, *, count: int, names=("message_opened", "message_clicked", "outbound_message"),
                    step_seconds: float = 1.0) -> None:
        """`count` events on the existing prospects, a third of them about mailings of one sequence."""
        with self.lock:
            prospects = sorted(self.store["prospect"]) or [self.prospect_add(firstName="Seed")["id"]]
            users = sorted(self.store["user"])
            sequence = self.sequence_add(name="Seeded sequence")
            step = self.sequence_step_add(sequence_id=sequence["id"], order=1)
            start = self.clock.time() - count * step_seconds - 60
            for i in range(count):
                prospect_id = prospects[i % len(prospects)]
                mailing_id = None
                if i % 3 == 0:
                    mailing_id = self.mailing_add(prospect_id=prospect_id, subject=f"Subject {i}", sequence_id=sequence["id"],
                                                  step_id=step["id"])["id"]
                self.event_add(name=names[i % len(names)], prospect_id=prospect_id, user_id=users[i % len(users)],
                               mailing_id=mailing_id, event_at=iso(start + i * step_seconds))

    def mailing_activity(self, mailing_id: int, action: str, **event_attributes) -> dict:
        """The prospect opens (delivered, replied, bounced) a mailing: Outreach records the event and
        sends `mailing.<action>`, a webhook with no attributes (as captured)."""
        if action not in MAILING_ACTION_EVENTS:
            raise ValueError(f"unknown mailing action {action!r}")
        pending: list[Delivery] = []
        with self.lock:
            mailing = self.store["mailing"][int(mailing_id)]
            now = self._now()
            a = mailing["attributes"]
            if action == "opened":
                a["openedAt"] = now
                a["openCount"] = (a.get("openCount") or 0) + 1
            else:
                a[f"{action}At"] = now
                a["state"] = {"delivered": "delivered", "replied": "replied", "bounced": "bounced"}[action]
            a["updatedAt"] = now
            rel = mailing["relationships"]
            event = self.event_add(name=MAILING_ACTION_EVENTS[action], prospect_id=rel.get("prospect"),
                                   user_id=rel.get("user"), mailing_id=mailing["id"], event_at=now, **event_attributes)
            self._queue_webhook("mailing", action, {"type": "mailing", "id": mailing["id"]}, pending)
        for delivery in pending:
            self._deliver(delivery)
        return event

    def sequence_state_activity(self, state_id: int, action: str) -> dict:
        """A sequence state advances to its next step, or finishes: the event, then the webhook."""
        if action not in SEQUENCE_STATE_ACTION_EVENTS:
            raise ValueError(f"unknown sequence state action {action!r}")
        pending: list[Delivery] = []
        with self.lock:
            state = self.store["sequenceState"][int(state_id)]
            now = self._now()
            rel = state["relationships"]
            if action == "finished":
                state["attributes"].update({"state": "finished", "stateChangedAt": now})
            else:
                steps = sorted((s["attributes"]["order"], s["id"]) for s in self.store["sequenceStep"].values()
                               if s["relationships"].get("sequence") == rel.get("sequence"))
                later = [sid for order, sid in steps if sid != rel.get("sequenceStep") and order > self._step_order(rel.get("sequenceStep"))]
                if later:
                    rel["sequenceStep"] = later[0]
            state["attributes"]["updatedAt"] = now
            event = self.event_add(name=SEQUENCE_STATE_ACTION_EVENTS[action], prospect_id=rel.get("prospect"),
                                   user_id=rel.get("creator"), event_at=now)
            self._queue_webhook("sequenceState", action, {"type": "sequenceState", "id": state["id"]}, pending)
        for delivery in pending:
            self._deliver(delivery)
        return event

    def _step_order(self, step_id) -> int:
        step = self.store["sequenceStep"].get(step_id) if step_id is not None else None
        return step["attributes"]["order"] if step else 0

    def get(self, kind: str, record_id: int) -> dict | None:
        return self.store[kind].get(int(record_id))

    def all(self, kind: str) -> list[dict]:
        return list(self.store[kind].values())

    def seed(self, *, prospects: int = 0, accounts: int = 0, users: int = 2, stages: int = 3, step_seconds: float = 1.0) -> None:
        """Realistic, linked records: accounts with domains, prospects at those accounts, owners, stages.

        updatedAt steps `step_seconds` per record (0 gives everyone the same instant)."""
        rng = self.random
        first = ["Ada", "Grace", "Alan", "Linus", "Margaret", "Ken", "Barbara", "Dennis", "Frances", "Tim"]
        last = ["Lovelace", "Hopper", "Turing", "Torvalds", "Hamilton", "Thompson", "Liskov", "Ritchie", "Allen", "Lee"]
        titles = ["CEO", "CTO", "VP Sales", "Engineer", "Head of Growth", None]
        with self.lock:
            user_ids = [self.user_add(email=f"rep{i}@sandbox.outreach.test", name=f"Rep {i}")["id"] for i in range(users)]
            stage_names = ["Cold", "Approaching", "Replied", "Interested", "Not Interested", "Qualified"]
            stage_ids = [self.stage_add(name=stage_names[i % len(stage_names)] + ("" if i < 6 else f" {i}"))["id"] for i in range(stages)]
            start = self.clock.time() - max(prospects, accounts) * step_seconds - 60
            account_ids = []
            for i in range(accounts):
                domain = f"company{i + 1}.example.com"
                account = self._insert(
                    "account",
                    {"name": f"Company {i + 1}", "domain": domain, "websiteUrl": f"https://{domain}", "tags": [],
                     "numberOfEmployees": rng.choice([10, 50, 200, 1000])},
                    {"owner": rng.choice(user_ids)} if user_ids else {},
                    stamp=iso(start + i * step_seconds),
                )
                account_ids.append((account["id"], domain))
            for i in range(prospects):
                fn, ln = rng.choice(first), rng.choice(last)
                relationships = {}
                if account_ids:
                    account_id, domain = account_ids[i % len(account_ids)]
                    relationships["account"] = account_id
                else:
                    domain = "example.com"
                if user_ids:
                    relationships["owner"] = rng.choice(user_ids)
                if stage_ids:
                    relationships["stage"] = rng.choice(stage_ids)
                self._insert(
                    "prospect",
                    {"firstName": fn, "lastName": ln, "emails": [f"{fn}.{ln}.{i + 1}@{domain}".lower()],
                     "title": rng.choice(titles), "tags": [], "workPhones": [], "addressCity": rng.choice(["Paris", "Berlin", "Austin", None])},
                    relationships,
                    stamp=iso(start + i * step_seconds),
                )

    # -- tokens ------------------------------------------------------------------------------

    def token_issue(self, *, access_token: str | None = None, refresh_token: str | None = None, expires_in: int = TOKEN_SECONDS) -> dict:
        with self.lock:
            access_token = access_token or secrets.token_urlsafe(24)
            refresh_token = refresh_token or secrets.token_urlsafe(24)
            now = self.clock.time()
            self.access_tokens[access_token] = now + expires_in
            self.refresh_tokens.add(refresh_token)
            return {
                "access_token": access_token,
                "token_type": "Bearer",
                "expires_in": expires_in,
                "refresh_token": refresh_token,
                "scope": "prospects.all accounts.all webhooks.all users.read stages.read",
                "created_at": int(now),
            }

    def token_expire_now(self, access_token: str | None = None) -> None:
        """Every access token (or one) stops working now, as after two hours."""
        with self.lock:
            for token in list(self.access_tokens):
                if access_token is None or token == access_token:
                    self.access_tokens[token] = self.clock.time() - 1

    def refresh_token_revoke(self, refresh_token: str | None = None) -> None:
        with self.lock:
            if refresh_token is None:
                self.refresh_tokens.clear()
            else:
                self.refresh_tokens.discard(refresh_token)

    def code_issue(self) -> str:
        code = secrets.token_urlsafe(16)
        self.codes.add(code)
        return code

    # -- faults ------------------------------------------------------------------------------

    def fault_add(self, path: str, *, method: str | None = None, status: int = 503, share: float = 1.0,
                  times: int | None = None, timeout: bool = False, after_write: bool = False) -> Fault:
        fault = Fault(method=method.upper() if method else None, path=path, status=status, share=share,
                      times=times, timeout=timeout, after_write=after_write)
        self.faults.append(fault)
        return fault

    def faults_clear(self) -> None:
        self.faults.clear()

    def rate_limit_set(self, limit: int, window_seconds: float) -> None:
        with self.lock:
            self.rate_limit, self.rate_window_seconds = limit, window_seconds
            self._rate_counts.clear()

    def rate_spend(self, count: int) -> None:
        """Spend part of the current window's budget (as another integration would)."""
        with self.lock:
            key = self._rate_window()
            self._rate_counts[key] = self._rate_counts.get(key, 0) + count

    def _rate_window(self) -> tuple:
        return ("user", math.floor(self.clock.time() / self.rate_window_seconds))

    def _fault_for(self, method: str, path: str, *, after_write: bool) -> Fault | None:
        for fault in self.faults:
            if fault.after_write != after_write or (fault.method and fault.method != method):
                continue
            if not path.startswith(fault.path):
                continue
            if fault.times is not None and fault.times <= 0:
                continue
            if fault.share < 1.0 and self.random.random() >= fault.share:
                continue
            if fault.times is not None:
                fault.times -= 1
            return fault
        return None

    # -- inspection --------------------------------------------------------------------------

    def requests_to(self, method: str | None = None, path: str | None = None) -> list[RecordedRequest]:
        """Recorded requests, by method and exact path ("/prospects") or prefix ending with '*'."""
        found = []
        for r in self.requests:
            if method and r.method != method.upper():
                continue
            if path and not (r.path.startswith(path[:-1]) if path.endswith("*") else r.path == path):
                continue
            found.append(r)
        return found

    # -- the server --------------------------------------------------------------------------

    def handle(self, method: str, url: str, headers: dict, body: bytes | str | None):
        """Answer one HTTP request: (status, headers, body bytes). May raise SandboxTimeout."""
        method = method.upper()
        headers = {k.lower(): v for k, v in (headers or {}).items()}
        if isinstance(body, str):
            body = body.encode()
        parts = urlsplit(url)
        for marker in ("/api/v2", "/oauth"):
            index = parts.path.find(marker + "/") if parts.path.find(marker + "/") >= 0 else (
                parts.path.find(marker) if parts.path.endswith(marker) else -1)
            if index >= 0:
                root = f"{parts.scheme}://{parts.netloc}{parts.path[:index]}"
                rel = parts.path[index + len(marker):] or "/"
                break
        else:
            return self._finish(None, 404, {"errors": [{"id": "routeNotFound", "title": "Not Found", "detail": parts.path}]})
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        if self.latency_seconds:
            self.clock.sleep(self.latency_seconds)
        if marker == "/oauth":
            return self._oauth(method, rel, query, headers, body or b"", root)
        try:
            payload = json.loads(body) if body else None
        except ValueError:
            payload = None
        recorded = RecordedRequest(method=method, path=rel.rstrip("/") or "/", query=query, json=payload, headers=headers)
        if self.record_requests:
            with self.lock:
                self.requests.append(recorded)
        pending: list[Delivery] = []
        with self.lock:
            result = self._api(method, recorded.path, query, headers, body, payload, root, pending)
        for delivery in pending:
            self._deliver(delivery)
        if isinstance(result, Exception):
            raise result
        status, extra_headers, response = result
        return self._finish(recorded, status, response, extra_headers)

    def _finish(self, recorded, status, response, extra_headers=None):
        if recorded is not None:
            recorded.status = status
        out_headers = dict(extra_headers or {})
        if isinstance(response, (bytes, str)):
            out_headers.setdefault("Content-Type", "text/plain")
            data = response.encode() if isinstance(response, str) else response
        elif response is None:
            data = b""
        else:
            out_headers.setdefault("Content-Type", JSONAPI)
            data = json.dumps(response, separators=(",", ":")).encode()
        return status, out_headers, data

    def _api(self, method, path, query, headers, body, payload, root, pending):
        auth = headers.get("authorization", "")
        token = auth[7:] if auth.lower().startswith("bearer ") else ""
        expires = self.access_tokens.get(token)
        if not token or expires is None or expires <= self.clock.time():
            return 401, {"Content-Type": "text/plain"}, "Invalid access token"
        window = self._rate_window()
        used = self._rate_counts.get(window, 0) + 1
        self._rate_counts[window] = used
        reset = int(math.ceil((window[1] + 1) * self.rate_window_seconds))
        remaining = max(0, self.rate_limit - used)
        rate_headers = {
            "X-RateLimit-Limit": str(self.rate_limit),
            "X-RateLimit-Remaining": f"{remaining}, {remaining * 2}" if self.rate_remaining_two_values else str(remaining),
            "X-RateLimit-Reset": str(reset),
        }
        if used > self.rate_limit:
            at = datetime.fromtimestamp(reset, dt_timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
            status, error = _error(429, "rateLimitExceeded", "Rate Limit Exceeded",
                                   f"You have exceeded your permitted rate limit of {self.rate_limit:,}; please try again at {at}.")
            return status, {**rate_headers, "Retry-After": str(max(0, int(reset - self.clock.time())))}, error
        fault = self._fault_for(method, path, after_write=False)
        if fault:
            if fault.timeout:
                return SandboxTimeout(f"{method} {path}")
            return fault.status, rate_headers, {"errors": [{"id": "serverError", "title": "Server Error", "detail": "Something went wrong."}]}
        if method in ("POST", "PATCH") and not headers.get("content-type", "").startswith(JSONAPI):
            status, error = _error(415, "unsupportedMediaType", "Unsupported Media Type",
                                   "Expected Content-Type header to be 'application/vnd.api+json'.")
            return status, rate_headers, error
        status, response = self._route(method, path, query, payload, root, pending)
        if 200 <= status < 300:
            late = self._fault_for(method, path, after_write=True)
            if late:
                if late.timeout:
                    return SandboxTimeout(f"{method} {path}")
                return late.status, rate_headers, {"errors": [{"id": "serverError", "title": "Server Error", "detail": "Something went wrong."}]}
        return status, rate_headers, response

    def _route(self, method, path, query, payload, root, pending):
        segments = [s for s in path.split("/") if s]
        if not segments or segments[0] not in PLURALS:
            return _error(404, "routeNotFound", "Not Found", f"No route matches {path}.")
        kind = PLURALS[segments[0]]
        if len(segments) == 1:
            if method == "GET":
                return self._list(kind, query, root)
            if method == "POST" and kind in ("prospect", "account", "webhook"):
                return self._create(kind, payload, root, pending)
            return _error(405, "methodNotAllowed", "Method Not Allowed", f"{method} {path}")
        try:
            record_id = int(segments[1])
        except ValueError:
            return _error(404, "resourceNotFound", "Resource Not Found", f"Could not find '{kind}' with ID '{segments[1]}'.")
        record = self.store[kind].get(record_id)
        if record is None:
            return _error(404, "resourceNotFound", "Resource Not Found", f"Could not find '{kind}' with ID '{record_id}'.")
        if method == "GET":
            return 200, {"data": self._render(kind, record, root)}
        if method == "PATCH" and kind in ("prospect", "account", "webhook"):
            return self._update(kind, record, payload, root, pending)
        if method == "DELETE":
            del self.store[kind][record_id]
            if kind in ("prospect", "account"):
                self._queue_webhooks(kind, "destroyed", record, dict(record["attributes"]),
                                     dict(record["relationships"]), pending)
            return 204, None
        return _error(405, "methodNotAllowed", "Method Not Allowed", f"{method} {path}")

    # -- rendering and listing --------------------------------------------------------------

    def _render(self, kind: str, record: dict, root: str) -> dict:
        attributes = dict(record["attributes"])
        if kind in ("prospect", "account"):
            for name, spec in fields_catalog(kind).items():
                if name.startswith("custom") or name == "contactHistogram":
                    continue  # (A) 150 null customN fields per record are omitted to keep pages small
                attributes.setdefault(name, [] if spec.is_array else None)
        if kind == "webhook":
            attributes["secret"] = None if attributes.get("secret") is None else attributes["secret"]
        relationships = {}
        names = {"prospect": ["account", "owner", "stage", "creator", "updater"], "account": ["owner", "creator", "updater"],
                 "webhook": ["authorizer", "creator", "updater"], **ACTIVITY_RELATIONSHIPS}.get(kind, [])
        for name in names:
            target = record["relationships"].get(name)
            if name in ("creator", "updater", "authorizer") and target is None and kind not in ACTIVITY_RELATIONSHIPS:
                target = self.authorizer_user_id
            target_type = RELATIONSHIP_TYPES.get(name, "user")
            relationships[name] = {"data": {"type": target_type, "id": target} if target is not None else None}
        if kind == "prospect":
            relationships["mailings"] = {"links": {"related": f"{root}/api/v2/mailings?filter%5Bprospect%5D%5Bid%5D={record['id']}"}}
        return {
            "type": kind,
            "id": record["id"],
            "attributes": attributes,
            "relationships": relationships,
            "links": {"self": f"{root}/api/v2/{kind}s/{record['id']}"},
        }

    def _matches(self, kind: str, record: dict, filters: dict) -> bool:
        attributes = record["attributes"]
        for name, wanted in filters.items():
            if name == "id":
                actual = record["id"]
            elif "." in name:  # relationship filter, e.g. account.id
                relationship, _, sub = name.partition(".")
                if sub != "id":
                    return False
                actual = record["relationships"].get(relationship)
            else:
                actual = attributes.get(name)
            if not _value_matches(actual, wanted):
                return False
        return True

    def _list(self, kind, query, root):
        filters = {}
        for key, value in query.items():
            if key.startswith("filter[") and key.endswith("]"):
                inner = key[len("filter["):-1].replace("][", ".")
                if inner not in self.ignored_filters:
                    filters[inner] = value
        if kind == "account" and "named" not in filters:
            filters["named"] = "true"  # only named accounts show up on the collection index
        sort = query.get("sort") or "id"
        descending = sort.startswith("-")
        sort_field = sort.lstrip("-")
        if "page[offset]" in query or "page[limit]" in query:
            return self._list_offset(kind, query, filters, sort_field, descending, root)
        try:
            size = int(query.get("page[size]") or DEFAULT_PAGE_SIZE)
        except ValueError:
            size = 0
        if size < 1 or size > MAX_PAGE_SIZE:  # (A) the real maximum and error are not documented
            return _error(400, "paginationInvalidSize", "Invalid Page Size", f"page[size] must be between 1 and {MAX_PAGE_SIZE}.")
        after = None
        if query.get("page[after]"):
            try:
                after = json.loads(base64.urlsafe_b64decode(query["page[after]"].encode()))
                after = (after["sv"], after["id"])
            except (ValueError, KeyError, TypeError):
                return _error(400, "paginationInvalidCursor", "Invalid Cursor", "page[after] is not a valid cursor.")
        if sort_field == "id" and not filters and not descending:
            # Fast path for full listings: ids ascend in insertion order, so a cursor is a bisect.
            ids = list(self.store[kind])
            start = bisect_right(ids, after[1]) if after is not None else 0
            keyed = ids
            chunk = [(None, record_id) for record_id in ids[start:start + size]]
        else:
            keyed = self._sorted(kind, filters, sort_field, descending)
            start = 0
            if after is not None:
                start = bisect_right(keyed, _sort_key(after[0], after[1], descending), key=lambda item: item[0])
            chunk = keyed[start:start + size]
        data = [self._render(kind, self.store[kind][item[1]], root) for item in chunk]
        response = {"data": data}
        if data:
            base_query = {k: v for k, v in query.items() if k != "page[after]"}
            links = {"first": f"{root}/api/v2/{kind}s?{urlencode(base_query)}"}
            if start + size < len(keyed):
                last = self.store[kind][chunk[-1][1]]
                last_value = last["id"] if sort_field == "id" else last["attributes"].get(sort_field)
                cursor = base64.urlsafe_b64encode(json.dumps({"sv": last_value, "id": last["id"]}).encode()).decode()
                links["next"] = f"{root}/api/v2/{kind}s?{urlencode({**base_query, 'page[after]': cursor})}"
            response["links"] = links
        if query.get("count") == "true":
            response["meta"] = {"count": len(keyed), "count_truncated": False}
        return 200, response

    def _sorted(self, kind, filters, sort_field, descending):
        records = self.store[kind]
        keyed = []
        for record_id, record in records.items():
            if filters and not self._matches(kind, record, filters):
                continue
            value = record_id if sort_field == "id" else record["attributes"].get(sort_field)
            keyed.append((_sort_key(value, record_id, descending), record_id))
        keyed.sort(key=lambda item: item[0])
        return keyed

    def _list_offset(self, kind, query, filters, sort_field, descending, root):
        try:
            offset = int(query.get("page[offset]") or 0)
            limit = int(query.get("page[limit]") or DEFAULT_PAGE_SIZE)
        except ValueError:
            return _error(400, "paginationInvalidOffset", "Invalid Offset", "page[offset] and page[limit] must be integers.")
        if offset > MAX_OFFSET:  # (A) the real error body is not documented
            return _error(400, "paginationInvalidOffset", "Invalid Offset",
                          f"The maximum page offset is {MAX_OFFSET:,}; use more specific filters or cursor pagination.")
        if limit < 1 or limit > MAX_PAGE_SIZE:
            return _error(400, "paginationInvalidSize", "Invalid Page Size", f"page[limit] must be between 1 and {MAX_PAGE_SIZE}.")
        keyed = self._sorted(kind, filters, sort_field, descending)
        chunk = keyed[offset:offset + limit]
        return 200, {"data": [self._render(kind, self.store[kind][item[1]], root) for item in chunk]}

    # -- writes ------------------------------------------------------------------------------

    def _validate(self, kind, attributes, relationships, *, record_id=None):
        if kind == "webhook":
            unknown = set(attributes) - WEBHOOK_ATTRIBUTES
            if unknown:
                return _error(422, "validationError", "Validation Error", f"Unknown attribute '{sorted(unknown)[0]}'.",
                              f"/data/attributes/{sorted(unknown)[0]}")
            if not attributes.get("url") and record_id is None:
                return _error(422, "validationError", "Validation Error", "Url can't be blank.", "/data/attributes/url")
            return None
        catalog = fields_catalog(kind)
        for name, value in attributes.items():
            spec = catalog.get(name)
            if spec is None:  # (A) unknown attributes are refused
                return _error(422, "validationError", "Validation Error", f"Unknown attribute '{name}'.", f"/data/attributes/{name}")
            if spec.is_array and value is not None and not isinstance(value, list):
                return _error(422, "validationError", "Validation Error", f"{name} must be an array.", f"/data/attributes/{name}")
            if spec.max_length and isinstance(value, str) and len(value) > spec.max_length:
                return _error(422, "validationDataTooLongError", "Validation Data Too Long Error", "Data provided is too long.",
                              f"/data/attributes/{name}")
        if kind == "prospect" and attributes.get("emails"):
            wanted = {str(e).strip().lower() for e in attributes["emails"] if e}
            for other in self.store["prospect"].values():
                if other["id"] == record_id:
                    continue
                if wanted & {str(e).lower() for e in other["attributes"].get("emails") or []}:
                    return _error(422, "validationError", "Validation Error", "Contacts email hash has already been taken.", "/data")
        if kind == "account" and record_id is None and not attributes.get("name"):
            return _error(422, "validationError", "Validation Error", "Name can't be blank.", "/data/attributes/name")
        for name, target in relationships.items():
            if name not in WRITABLE_RELATIONSHIPS.get(kind, set()):
                return _error(400, "permittedParams.relationshipNotPermitted", "Relationship Not Permitted",
                              f"The relationship '{name}' cannot be written.")
            if target is None:
                continue
            target_type = RELATIONSHIP_TYPES[name]
            if target not in self.store[target_type]:
                return _error(400, "permittedParams.relationshipResourceNotFound", "Relationship Resource Not Found",
                              f"Could not find '{target_type}' with ID '{target if target is not None else ''}'.")
        return None

    def _parse_body(self, kind, payload):
        data = (payload or {}).get("data")
        if not isinstance(data, dict) or data.get("type") != kind:
            return None, None, _error(400, "badRequest", "Bad Request", f"Expected a '{kind}' resource in data.")
        attributes = dict(data.get("attributes") or {})
        read_only = set()
        if kind in ("prospect", "account"):
            read_only = {n for n, f in fields_catalog(kind).items() if f.read_only}
        for name in read_only & set(attributes):  # (A) server-maintained values are ignored
            attributes.pop(name)
        relationships = {}
        for name, value in (data.get("relationships") or {}).items():
            target = (value or {}).get("data")
            try:
                relationships[name] = int(target["id"]) if target else None
            except (TypeError, ValueError, KeyError):
                relationships[name] = -1  # never exists: a relationshipResourceNotFound
        return attributes, relationships, None

    def _create(self, kind, payload, root, pending):
        attributes, relationships, problem = self._parse_body(kind, payload)
        if problem:
            return problem
        if kind == "webhook":
            attributes = {"resource": "*", "action": "*", "active": True, "secret": None, **attributes}
        problem = self._validate(kind, attributes, relationships)
        if problem:
            return problem
        if kind == "webhook":
            relationships["authorizer"] = self.authorizer_user_id
        record = self._insert(kind, attributes, relationships)
        if kind in ("prospect", "account"):
            record["relationships"].setdefault("creator", self.authorizer_user_id)
            changed = dict(record["attributes"])
            self._queue_webhooks(kind, "created", record, changed, dict(record["relationships"]), pending)
        return 201, {"data": self._render(kind, record, root)}

    def _update(self, kind, record, payload, root, pending):
        data = (payload or {}).get("data") or {}
        if str(data.get("id")) != str(record["id"]):  # (A)
            return _error(400, "badRequest", "Bad Request", "data.id must match the id in the URL.")
        attributes, relationships, problem = self._parse_body(kind, payload)
        if problem:
            return problem
        problem = self._validate(kind, attributes, relationships, record_id=record["id"])
        if problem:
            return problem
        self.change(kind, record["id"], attributes, relationships, _pending=pending)
        return 200, {"data": self._render(kind, record, root)}

    def change(self, kind: str, record_id: int, attributes: dict, relationships: dict | None = None, *, _pending=None) -> dict:
        """Change a record as a user in Outreach would; webhooks carry only what changed."""
        pending = [] if _pending is None else _pending
        with self.lock:
            record = self.store[kind][int(record_id)]
            changed = {k: v for k, v in attributes.items() if record["attributes"].get(k) != v}
            changed_rel = {k: v for k, v in (relationships or {}).items() if record["relationships"].get(k) != v}
            if changed or changed_rel:
                record["attributes"].update(changed)
                record["relationships"].update(changed_rel)
                now = self._now()
                record["attributes"]["updatedAt"] = now
                self._derive(kind, record)
                changed["updatedAt"] = now
                if kind in ("prospect", "account"):
                    self._queue_webhooks(kind, "updated", record, changed, changed_rel, pending)
        if _pending is None:
            for delivery in pending:
                self._deliver(delivery)
        return record

    # -- webhook delivery ---------------------------------------------------------------------

    def _queue_webhooks(self, kind, action, record, attributes, relationships, pending):
        data = {
            "type": kind,
            "id": record["id"],
            "attributes": attributes,
            # Webhook relationships are flat and typed by the relationship's name.
            "relationships": {name: {"type": name, "id": target} for name, target in relationships.items()
                              if name not in ("creator", "updater")},
        }
        self._queue_webhook(kind, action, data, pending)

    def _queue_webhook(self, kind, action, data, pending):
        event = f"{kind}.{action}"
        for hook in list(self.store["webhook"].values()):
            a = hook["attributes"]
            if not a.get("active", True) or a.get("resource") not in ("*", kind) or a.get("action") not in ("*", action):
                continue
            body = {
                "data": data,
                "meta": {"deliveredAt": datetime.fromtimestamp(self.clock.time(), dt_timezone.utc).isoformat(timespec="milliseconds"),
                         "eventName": event},
            }
            raw = json.dumps(body).encode()
            headers = {
                "Content-Type": JSONAPI,
                "User-Agent": "Ruby",
                "Outreach-Org-Id": self.org_id,
                "Outreach-Webhook-Id": str(hook["id"]),
                "Outreach-Webhook-Event-Id": str(uuid.UUID(int=self.random.getrandbits(128))),
            }
            if a.get("secret"):
                headers["Outreach-Webhook-Signature"] = hmac.new(a["secret"].encode(), raw, hashlib.sha256).hexdigest()
            delivery = Delivery(url=a["url"], headers=headers, body=raw, event_name=event)
            self.deliveries.append(delivery)
            pending.append(delivery)

    def _deliver(self, delivery: Delivery) -> None:
        """Best effort, no redelivery (A), like Outreach."""
        if self.deliver is None:
            return
        try:
            delivery.status = self.deliver(delivery.url, delivery.headers, delivery.body)
        except Exception as exc:  # a failed delivery is lost, as with Outreach
            delivery.status = f"error: {type(exc).__name__}"

    # -- OAuth -------------------------------------------------------------------------------

    def _oauth(self, method, rel, query, headers, body, root):
        rel = rel.rstrip("/")
        if rel == "/authorize" and method == "GET":
            # The sandbox consents at once: back to the redirect URI with a code and the state.
            code = self.code_issue()
            target = query.get("redirect_uri", "")
            sep = "&" if "?" in target else "?"
            return 302, {"Location": f"{target}{sep}{urlencode({'code': code, 'state': query.get('state', '')})}"}, b""
        if rel != "/token" or method != "POST":
            return self._finish(None, 404, {"error": "not_found"})
        if headers.get("content-type", "").startswith("application/json"):
            try:
                form = json.loads(body or b"{}")
            except ValueError:
                form = {}
        else:
            form = {k: v[-1] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}
        with self.lock:
            self.token_requests += 1
            recorded = RecordedRequest(method=method, path="/oauth/token", query={}, json=dict(form), headers=headers)
            if self.record_requests:
                self.requests.append(recorded)
            if self.client_id and form.get("client_id") != self.client_id:
                return self._finish(recorded, 401, {"error": "invalid_client", "error_description": "Client authentication failed."})
            grant = form.get("grant_type")
            if grant == "authorization_code" and form.get("code") in self.codes:
                self.codes.discard(form["code"])
                return self._finish(recorded, 200, self.token_issue(), {"Content-Type": "application/json"})
            if grant == "refresh_token" and form.get("refresh_token") in self.refresh_tokens:
                self.refresh_tokens.discard(form["refresh_token"])  # (A) rotation: the old one is spent
                return self._finish(recorded, 200, self.token_issue(), {"Content-Type": "application/json"})
            # (A) RFC 6749 error for an unknown, spent or revoked grant
            return self._finish(recorded, 400, {"error": "invalid_grant",
                                                "error_description": "The provided authorization grant is invalid, expired, revoked."},
                                {"Content-Type": "application/json"})


def _sort_key(value, record_id, descending):
    present = 0 if value is None else 1
    if descending:
        # Strings and numbers descending: invert through a wrapper tuple.
        return (-present, _Reverse(value), -record_id)
    return (present, value if value is not None else 0, record_id)


class _Reverse:
    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __lt__(self, other):
        return self.value is not None and other.value is not None and self.value > other.value

    def __eq__(self, other):
        return self.value == other.value

    def __gt__(self, other):
        return other.__lt__(self)


def _value_matches(actual, wanted: str) -> bool:
    """Outreach's legacy filter syntax: equality, `a,b` lists, `a..b` ranges (inclusive, inf/neginf)."""
    if isinstance(actual, list):  # arrays match when any element does, case-insensitively (A)
        return any(_value_matches(element, wanted) for element in actual)
    if ".." in wanted and not wanted.startswith("http"):
        low, _, high = wanted.partition("..")
        if actual is None:
            return False
        try:
            if isinstance(actual, (int, float)) and not isinstance(actual, bool):
                return (low == "neginf" or actual >= float(low)) and (high == "inf" or actual <= float(high))
        except ValueError:
            return False
        moment = _as_datetime(actual)
        if moment is not None:  # timestamps compare as instants, whatever their precision or zone
            lo, hi = _as_datetime(low), _as_datetime(high)
            if (low != "neginf" and lo is None) or (high != "inf" and hi is None):
                return False
            return (lo is None or moment >= lo) and (hi is None or moment <= hi)
        text = str(actual)
        return (low == "neginf" or text >= low) and (high == "inf" or text <= high)
    options = wanted.split(",") if "," in wanted else [wanted]
    if isinstance(actual, bool):
        return str(actual).lower() in [o.lower() for o in options]
    text = "" if actual is None else str(actual).lower()
    return text in [o.strip().lower() for o in options]


def _as_datetime(value):
    if not isinstance(value, str) or len(value) < 19 or value[4:5] != "-" or "T" not in value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt_timezone.utc)
