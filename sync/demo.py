"""The demo anyone can run: both sandboxes seeded and a connector "demo" wired to them.

Two processes are involved and only one of them holds the Outreach sandbox:

- `manage.py demo` (run by scripts/start before the servers) writes what lives in the database: the
  connector with its tokens and settings, and the Hull sandbox (users, accounts, segments).
- The web process serves the in-memory Outreach sandbox at /sandbox/outreach/. When it first makes
  the sandbox it calls `demo_outreach_sandbox_setup`, which seeds the same deterministic world
  (`demo_world()`), accepts the connector's current tokens and registers the signed webhook through
  the real `webhook_ensure`. The worker reaches that sandbox over HTTP, like Outreach itself.

Everything is idempotent: running the command again keeps tokens, secrets and edits made in the sandboxes.
"""

import secrets
import shlex
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from connectors.hull.sandbox.edit import account_create, segment_ensure, user_create
from connectors.hull.sandbox.models import Account as HullAccount
from connectors.hull.sandbox.models import User as HullUser
from connectors.hull.sandbox.setup import sandbox_organization_ensure
from sync.choices import Entity
from sync.logs import sync_log
from sync.models import Connector, SeenSegment
from sync.settings_io import connector_import

DEMO_NAME = "demo"
DEMO_HULL_ID = "5d3e0000000000000000de01"
# A host under .test: without HULL_FIREHOSE_URL the firehose would be https://firehose.hull-sandbox.test,
# which never resolves, so a misconfigured demo cannot write to a real Hull organization.
DEMO_HULL_ORGANIZATION = "demo.hull-sandbox.test"
DEMO_OAUTH_CLIENT_ID = "hullreach-demo"
DEMO_OAUTH_CLIENT_SECRET = "hullreach-demo-secret"

ACCOUNTS = 30
PROSPECTS_PER_ACCOUNT = 10  # 300 prospects
USER_SEGMENTS = ("Demo leads", "Customers", "Newsletter")
ACCOUNT_SEGMENTS = ("Target accounts",)
SYNCED_USER_SEGMENT = "Demo leads"
SYNCED_ACCOUNT_SEGMENT = "Target accounts"

FIRST = ["Ada", "Grace", "Alan", "Linus", "Margaret", "Ken", "Barbara", "Dennis", "Frances", "Tim",
         "Radia", "Edsger", "Hedy", "John", "Katherine", "Donald", "Anita", "Guido", "Sophie", "Niklaus"]
LAST = ["Lovelace", "Hopper", "Turing", "Torvalds", "Hamilton", "Thompson", "Liskov", "Ritchie", "Allen", "Berners",
        "Perlman", "Dijkstra", "Lamarr", "McCarthy", "Johnson", "Knuth", "Borg", "Rossum", "Wilson", "Wirth"]
COMPANY_A = ["Blue", "North", "Bright", "Swift", "Iron", "Silver"]
COMPANY_B = ["Harbor", "Peak", "Forge", "Labs", "Works"]
TITLES = ["CEO", "CTO", "VP Sales", "Engineer", "Head of Growth", "Office Manager"]
CITIES = ["Paris", "Berlin", "Austin", "Lisbon", "Toronto"]
REPS = [("maya.patel@demo-sales.test", "Maya Patel"), ("omar.haddad@demo-sales.test", "Omar Haddad"),
        ("lena.fischer@demo-sales.test", "Lena Fischer"), ("sam.okafor@demo-sales.test", "Sam Okafor")]
STAGES = ["Cold", "Approaching", "Replied", "Interested", "Qualified", "Not Interested"]


@dataclass(frozen=True)
class DemoAccount:
    index: int
    name: str
    domain: str
    employees: int


@dataclass(frozen=True)
class DemoProspect:
    index: int
    first_name: str
    last_name: str
    email: str
    title: str
    city: str
    account: int  # DemoAccount.index
    owner: int  # index in REPS
    stage: int  # index in STAGES


@dataclass(frozen=True)
class DemoWorld:
    accounts: list[DemoAccount]
    prospects: list[DemoProspect]


def demo_world() -> DemoWorld:
    """The Outreach organization of the demo, the same in every process (no randomness)."""
    accounts = []
    for a in range(ACCOUNTS):
        name = f"{COMPANY_A[a % len(COMPANY_A)]} {COMPANY_B[(a // len(COMPANY_A)) % len(COMPANY_B)]}"
        domain = name.lower().replace(" ", "") + ".example.com"
        accounts.append(DemoAccount(index=a, name=name, domain=domain, employees=[10, 50, 200, 1000][a % 4]))
    prospects = []
    for a, account in enumerate(accounts):
        for k in range(PROSPECTS_PER_ACCOUNT):
            i = len(prospects)
            first, last = FIRST[(a + k) % len(FIRST)], LAST[(3 * a + 7 * k) % len(LAST)]
            prospects.append(
                DemoProspect(
                    index=i, first_name=first, last_name=last, email=f"{first}.{last}@{account.domain}".lower(),
                    title=TITLES[i % len(TITLES)], city=CITIES[i % len(CITIES)], account=a,
                    owner=i % len(REPS), stage=(i * 5) % len(STAGES),
                )
            )
    return DemoWorld(accounts=accounts, prospects=prospects)


# -- the environment the processes need --------------------------------------------------------------


def demo_environment(*, public_url: str) -> dict[str, str]:
    """Where the web process and the worker reach Outreach and Hull: the sandboxes under PUBLIC_URL."""
    base = public_url.rstrip("/")
    return {
        "OUTREACH_API_URL": f"{base}/sandbox/outreach/api/v2",
        "OUTREACH_OAUTH_URL": f"{base}/sandbox/outreach/oauth",
        "HULL_FIREHOSE_URL": f"{base}/sandbox/hull/firehose",
        # The sandbox's OAuth consents at once, so "Re-authorize Outreach" works in the demo too.
        "OUTREACH_CLIENT_ID": DEMO_OAUTH_CLIENT_ID,
        "OUTREACH_CLIENT_SECRET": DEMO_OAUTH_CLIENT_SECRET,
    }


def demo_environment_shell(*, public_url: str, environ: dict) -> str:
    """`export K=V` lines for scripts/start; variables the operator already set are left alone."""
    lines = []
    for key, value in demo_environment(public_url=public_url).items():
        if not environ.get(key):
            lines.append(f"export {key}={shlex.quote(value)}")
    return "\n".join(lines)


# -- manage.py demo: the database side -----------------------------------------------------------------


@dataclass
class DemoResult:
    connector: Connector
    created: bool
    hull_users: int
    hull_accounts: int
    overlapping_emails: list[str]


def demo_setup(*, public_url: str) -> DemoResult:
    """Create or update the demo connector and the Hull sandbox. Idempotent; keeps tokens and edits."""
    world = demo_world()
    with transaction.atomic():
        existing = Connector.objects.filter(name=DEMO_NAME).first()
        connector, created = _connector_ensure(existing)
        organization = sandbox_organization_ensure(connector=connector, connector_url=public_url, auto_notify=True)
        segments = {name: segment_ensure(organization, name=name, entity="user") for name in USER_SEGMENTS}
        segments |= {name: segment_ensure(organization, name=name, entity="account") for name in ACCOUNT_SEGMENTS}
        overlapping = _hull_world_ensure(organization, world, segments)
        synced_user, synced_account = segments[SYNCED_USER_SEGMENT], segments[SYNCED_ACCOUNT_SEGMENT]
        Connector.objects.filter(pk=connector.pk).update(
            synchronized_user_segments=[synced_user.hull_id],
            synchronized_account_segments=[synced_account.hull_id],
        )
        connector.refresh_from_db()
        for segment in segments.values():
            SeenSegment.objects.update_or_create(
                connector=connector, entity=Entity.USER if segment.entity == "user" else Entity.ACCOUNT,
                hull_id=segment.hull_id, defaults={"name": segment.name},
            )
        result = DemoResult(
            connector=connector,
            created=created,
            hull_users=HullUser.objects.filter(organization=organization).count(),
            hull_accounts=HullAccount.objects.filter(organization=organization).count(),
            overlapping_emails=overlapping,
        )
    return result


def _connector_ensure(existing: Connector | None) -> tuple[Connector, bool]:
    """Through the same import as `connector import`: the demo's settings are configuration as code."""
    document = {
        "name": DEMO_NAME,
        "hull": {
            "id": DEMO_HULL_ID,
            "organization": DEMO_HULL_ORGANIZATION,
            "secret": existing.hull_secret if existing and existing.hull_secret else secrets.token_urlsafe(24),
        },
        "options": {"fetch_interval_minutes": 5},
        "private_settings": {
            "user_claims": [{"hull": "email", "service": "emails"}],
            "account_claims": [{"hull": "domain", "service": "domain"}],
            "link_users_in_hull": True,
            "link_users_in_service": True,
            "prospect_outgoing_user_segments": "tags",
            "incoming_user_attributes": [
                {"hull": "outreach/first_name", "service": "firstName"},
                {"hull": "outreach/last_name", "service": "lastName"},
                {"hull": "outreach/title", "service": "title"},
                {"hull": "outreach/city", "service": "addressCity"},
                {"hull": "outreach/stage", "service": "stageName"},
                {"hull": "outreach/owner_email", "service": "ownerEmail"},
            ],
            "outgoing_user_attributes": [
                {"hull": "first_name", "service": "firstName"},
                {"hull": "last_name", "service": "lastName"},
                {"hull": "title", "service": "title"},
            ],
            "incoming_account_attributes": [
                {"hull": "outreach/name", "service": "name"},
                {"hull": "outreach/employees", "service": "numberOfEmployees"},
                {"hull": "outreach/website", "service": "websiteUrl"},
            ],
            "outgoing_account_attributes": [{"hull": "name", "service": "name"}],
        },
    }
    fresh_tokens = existing is None or not (existing.outreach_refresh_token or existing.outreach_access_token)
    if fresh_tokens:
        # Tokens the web process's Outreach sandbox will accept (demo_outreach_sandbox_setup).
        document["outreach"] = {
            "access_token": secrets.token_urlsafe(24),
            "refresh_token": secrets.token_urlsafe(24),
            "expires_in": 7200,
            "created_at": int(time.time()),
        }
    connector, created, _ = connector_import(document)
    if fresh_tokens:
        from connectors.outreach.sandbox.state import OutreachSandbox

        sync_log(
            connector=connector,
            event="connector.oauth.success",
            message="Outreach authorized (demo: tokens of the Outreach sandbox)",
            payload={"scope": OutreachSandbox().token_issue()["scope"]},
        )
    return connector, created


def _hull_world_ensure(organization, world: DemoWorld, segments: dict) -> list[str]:
    """Hull users and accounts: some are also Outreach prospects and accounts (same email or domain),
    some exist only in Hull (the outgoing sync creates them in Outreach). Existing ones are kept."""
    leads, customers, newsletter = (segments[n] for n in USER_SEGMENTS)
    targets = segments["Target accounts"]
    known_domains = set(HullAccount.objects.filter(organization=organization).values_list("domain", flat=True))
    accounts_by_domain = {}
    for account in world.accounts[::3]:  # 10 accounts overlap Outreach's
        accounts_by_domain[account.domain] = account.name
    for n, name in enumerate(["Green Meadow", "Quiet Canyon", "Amber Orbit", "Lucky Otter", "Rapid River"]):
        accounts_by_domain[name.lower().replace(" ", "") + ".example.org"] = name
    hull_accounts = {}
    for i, (domain, name) in enumerate(accounts_by_domain.items()):
        if domain not in known_domains:
            account_create(
                organization, domain=domain, traits={"name": name},
                segments=[targets] if i % 2 == 0 else [],
            )
    for account in HullAccount.objects.filter(organization=organization):
        hull_accounts[account.domain] = account

    known_emails = set(HullUser.objects.filter(organization=organization).values_list("email", flat=True))
    overlapping = []
    people = []
    for prospect in world.prospects[::7]:  # 43 users are also prospects
        domain = world.accounts[prospect.account].domain
        people.append((prospect.email, prospect.first_name, prospect.last_name, prospect.title, domain))
        overlapping.append(prospect.email)
    for n in range(20):  # 20 only in Hull
        first, last = FIRST[(n * 3) % len(FIRST)], LAST[(n * 11 + 5) % len(LAST)]
        domain = list(accounts_by_domain)[-1 - (n % 5)]
        people.append((f"{first}.{last}.hull@{domain}".lower(), first, last, TITLES[n % len(TITLES)], domain))
    for i, (email, first, last, title, domain) in enumerate(people):
        if email in known_emails:
            continue
        chosen = [leads] if i % 2 == 0 else []
        if i % 3 == 0:
            chosen.append(customers)
        if i % 4 == 0:
            chosen.append(newsletter)
        user_create(
            organization, email=email, traits={"first_name": first, "last_name": last, "title": title},
            segments=chosen, account=hull_accounts.get(domain),
        )
    return overlapping


# -- the web process: the Outreach sandbox ---------------------------------------------------------------


def demo_outreach_populate(*, sandbox, world: DemoWorld | None = None, now: float | None = None) -> None:
    """Reps, stages, accounts and prospects, as if made in Outreach's UI over the last weeks."""
    world = world or demo_world()
    now = now or sandbox.clock.time()
    from connectors.outreach.sandbox.state import iso

    reps = [sandbox.user_add(email=email, name=name)["id"] for email, name in REPS]
    stages = [sandbox.stage_add(name=name)["id"] for name in STAGES]
    start = now - 14 * 24 * 3600
    step = (12 * 24 * 3600) / max(1, len(world.accounts) + len(world.prospects))
    account_ids = []
    for n, account in enumerate(world.accounts):
        stamp = iso(start + n * step)
        record = sandbox.account_add(
            {"owner": reps[account.index % len(reps)]},
            name=account.name, domain=account.domain, websiteUrl=f"https://{account.domain}",
            numberOfEmployees=account.employees, tags=[], createdAt=stamp, updatedAt=stamp,
        )
        account_ids.append(record["id"])
    for n, prospect in enumerate(world.prospects, start=len(world.accounts)):
        stamp = iso(start + n * step)
        sandbox.prospect_add(
            {"account": account_ids[prospect.account], "owner": reps[prospect.owner], "stage": stages[prospect.stage]},
            firstName=prospect.first_name, lastName=prospect.last_name, emails=[prospect.email],
            title=prospect.title, addressCity=prospect.city, tags=[], workPhones=[], createdAt=stamp, updatedAt=stamp,
        )


def demo_outreach_sandbox_setup(sandbox) -> None:
    """Hook for the web process's sandbox singleton: seed it for the demo connector, if there is one."""
    connector = Connector.objects.filter(name=DEMO_NAME, hull_organization=DEMO_HULL_ORGANIZATION).first()
    if connector is None:
        return
    demo_outreach_populate(sandbox=sandbox)
    demo_outreach_tokens_accept(sandbox=sandbox, connector=connector)
    demo_outreach_webhook_register(sandbox=sandbox, connector=connector)


def demo_outreach_tokens_accept(*, sandbox, connector: Connector) -> None:
    """The sandbox accepts the connector's tokens (a restarted web process forgot them); a token that
    is about to expire is replaced with a fresh pair, as a refresh would."""
    from connectors.outreach.oauth import TOKEN_FIELDS, token_apply, token_expiring

    if connector.outreach_access_token and not token_expiring(connector):
        remaining = int((connector.outreach_token_expires_at - timezone.now()).total_seconds())
        sandbox.token_issue(
            access_token=connector.outreach_access_token,
            refresh_token=connector.outreach_refresh_token or None,
            expires_in=remaining,
        )
        return
    token_apply(connector, sandbox.token_issue())
    connector.save(update_fields=TOKEN_FIELDS)


def demo_outreach_webhook_register(*, sandbox, connector: Connector) -> None:
    """Register the signed webhook with the real provisioning code, talking to the sandbox in-process
    (this runs while the sandbox is being made, before it serves HTTP)."""
    from urllib.parse import urlsplit

    from connectors.outreach import http
    from connectors.outreach.client import OutreachClient
    from connectors.outreach.sandbox.transport import SandboxAdapter
    from connectors.outreach.webhooks import webhook_ensure

    session = http.session_create()
    parts = urlsplit(settings.OUTREACH_API_URL)
    session.mount(f"{parts.scheme}://{parts.netloc}/", SandboxAdapter(sandbox))
    webhook_ensure(connector=connector, client=OutreachClient(connector, session=session, max_retries=0))

