"""Hull sandbox fixtures (shared by every test through conftest).

`hull`: a sandbox organization wired to the standard `connector` (same id, organization, secret).
Every request made through `connectors.hull.http.hull_session()` (firehose writes, /batch downloads)
is routed in-process to the sandbox's HTTP views; notifications go to hullreach's real endpoints
through Django's test client.

    def test_something(connector, hull, run_jobs):
        smugglers = hull.segment("Smugglers")
        han = hull.user(email="han@smuggler.com", traits={"title": "Pilot"}, segments=[smugglers])
        hull.edit_user(han, traits={"title": "General"})
        [body] = hull.notify()                      # user:update with changes {"traits_title": [...]}
        ...
        assert hull.user_traits(email="han@smuggler.com")["outreach/id"] == 16
        assert [w.kind for w in hull.writes()] == ["traits", "link"]
"""

import json
from urllib.parse import urlencode

import pytest
from django.test import Client

from connectors.hull import firehose as firehose_module
from connectors.hull import http as hull_http
from connectors.hull.sandbox import edit
from connectors.hull.sandbox.identity import ACCOUNT_LOOKUP, USER_LOOKUP, _lookup
from connectors.hull.sandbox.models import Account, Event, Organization, User, Write
from connectors.hull.sandbox.notifier import Notifier
from connectors.hull.sandbox.setup import sandbox_organization_ensure
from connectors.hull.sandbox.transport import SandboxAdapter

EXPORTS_BASE_URL = "https://hull-exports.sandbox.test/sandbox/hull"


def client_transport(client: Client):
    """A notifier transport that posts to hullreach's endpoints through Django's test client."""

    def send(path: str, body: dict, query: dict | None) -> tuple[int, dict]:
        url = path + ("?" + urlencode(query) if query else "")
        response = client.post(url, data=json.dumps(body), content_type="application/json")
        try:
            return response.status_code, response.json()
        except ValueError:
            return response.status_code, {"text": response.content.decode(errors="replace")}

    return send


class HullSandbox:
    def __init__(self, organization: Organization, adapter: SandboxAdapter, transport):
        self.organization = organization
        self.adapter = adapter
        self.notifier = Notifier(organization, transport=transport)

    # The world -----------------------------------------------------------------------------------

    def segment(self, name: str, *, entity: str = "user"):
        return edit.segment_ensure(self.organization, name=name, entity=entity)

    def user(self, **fields) -> User:
        return edit.user_create(self.organization, **fields)

    def account(self, **fields) -> Account:
        return edit.account_create(self.organization, **fields)

    def edit_user(self, user: User, **changes) -> User:
        return edit.user_edit(user, **changes)

    def edit_account(self, account: Account, **changes) -> Account:
        return edit.account_edit(account, **changes)

    # Hull calling the connector --------------------------------------------------------------------

    def notify(self) -> list[dict]:
        """Send user:update / account:update for what changed; returns the bodies sent."""
        return self.notifier.notify()

    def export_users(self, users) -> list[dict]:
        return self.notifier.export_users(users)

    def export_accounts(self, accounts) -> list[dict]:
        return self.notifier.export_accounts(accounts)

    def batch(self, *, users=None, accounts=None, segment_id: str = "") -> tuple[int, dict]:
        entity, objects = ("user", users) if users is not None else ("account", accounts)
        return self.notifier.batch(
            entity=entity, object_ids=[o.pk for o in objects], base_url=EXPORTS_BASE_URL, segment_id=segment_id
        )

    @property
    def answers(self) -> list[tuple[int, dict]]:
        """(HTTP status, JSON) of every call the notifier made, in order."""
        return [(status, answer) for _, _, status, answer in self.notifier.sent]

    # Reading Hull back -----------------------------------------------------------------------------

    def find_user(self, **claims) -> User | None:
        for key in USER_LOOKUP:
            if claims.get(key):
                found = _lookup(User, self.organization, key, str(claims[key]))
                if found:
                    return found
        return None

    def find_account(self, **claims) -> Account | None:
        for key in ACCOUNT_LOOKUP:
            if claims.get(key):
                found = _lookup(Account, self.organization, key, str(claims[key]))
                if found:
                    return found
        return None

    def user_traits(self, **claims) -> dict:
        user = self.find_user(**claims)
        assert user is not None, f"no Hull user for {claims}"
        return dict(user.traits)

    def account_traits(self, **claims) -> dict:
        account = self.find_account(**claims)
        assert account is not None, f"no Hull account for {claims}"
        return dict(account.traits)

    def users(self):
        return list(User.objects.filter(organization=self.organization).order_by("id"))

    def accounts(self):
        return list(Account.objects.filter(organization=self.organization).order_by("id"))

    def events(self, **claims) -> list[Event]:
        queryset = Event.objects.filter(organization=self.organization)
        if claims:
            queryset = queryset.filter(user=self.find_user(**claims))
        return list(queryset.order_by("id"))

    def writes(self) -> list[Write]:
        """Every firehose entry applied, in order (`.kind` is traits, track or link)."""
        return list(Write.objects.filter(organization=self.organization).order_by("id"))

    @property
    def firehose_requests(self):
        """The raw requests the firehose client made (prepared requests: url, headers, body)."""
        return [r for r in self.adapter.requests if "/exports/" not in r.url]

    def fail_firehose(self, *statuses: int) -> None:
        """The next firehose requests answer with these HTTP statuses, one each."""
        Organization.objects.filter(pk=self.organization.pk).update(firehose_faults=list(statuses))


@pytest.fixture
def hull(connector, monkeypatch):
    organization = sandbox_organization_ensure(connector=connector)
    adapter = SandboxAdapter()
    monkeypatch.setitem(hull_http.TRANSPORTS, "https://", adapter)
    monkeypatch.setitem(hull_http.TRANSPORTS, "http://", adapter)
    monkeypatch.setattr(firehose_module, "BACKOFF_SECONDS", 0)
    return HullSandbox(organization, adapter, client_transport(Client()))
