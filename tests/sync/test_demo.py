from urllib.parse import urlsplit

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from connectors.hull import firehose as firehose_module
from connectors.hull import http as hull_http
from connectors.hull.sandbox.models import Organization
from connectors.hull.sandbox.models import User as HullUser
from connectors.hull.sandbox.transport import SandboxAdapter as HullAdapter
from connectors.outreach import http as outreach_http
from connectors.outreach.sandbox import views as sandbox_views
from connectors.outreach.sandbox.state import OutreachSandbox
from connectors.outreach.sandbox.transport import SandboxAdapter
from sync.choices import JobKind, JobStatus
from sync.demo import (
    ACCOUNTS,
    DEMO_NAME,
    PROSPECTS_PER_ACCOUNT,
    demo_environment_shell,
    demo_outreach_sandbox_setup,
    demo_setup,
    demo_world,
)
from sync.jobs import job_create
from sync.models import Connector, OutreachDelivery, SyncLog
from tests.fixtures_outreach import deliver_to_django_client

pytestmark = pytest.mark.django_db
PUBLIC = "http://demo.local:8000"


@pytest.fixture
def demo(settings, monkeypatch, outreach_clock):
    """The demo set up, with Outreach and Hull reached in-process (as the web process serves them)."""
    import time

    outreach_clock.advance(time.time() - outreach_clock.time())
    settings.SANDBOX_ENABLED = True
    settings.PUBLIC_URL = PUBLIC
    result = demo_setup(public_url=PUBLIC)
    Organization.objects.update(auto_notify=False)  # notifications would go over real HTTP
    sandbox = OutreachSandbox(clock=outreach_clock)
    demo_outreach_sandbox_setup(sandbox)
    parts = urlsplit(settings.OUTREACH_API_URL)
    outreach_http.transport_install(f"{parts.scheme}://{parts.netloc}/", SandboxAdapter(sandbox))
    monkeypatch.setitem(hull_http.TRANSPORTS, "https://", HullAdapter())
    monkeypatch.setitem(hull_http.TRANSPORTS, "http://", HullAdapter())
    monkeypatch.setattr(firehose_module, "BACKOFF_SECONDS", 0)
    settings.HULL_FIREHOSE_URL = "https://hull.sandbox.test/sandbox/hull/firehose"
    yield result, sandbox
    outreach_http.transport_remove(f"{parts.scheme}://{parts.netloc}/")


def test_the_world_is_the_same_in_every_process_with_unique_emails():
    world = demo_world()
    assert world == demo_world()
    assert len(world.accounts) == ACCOUNTS and len(world.prospects) == ACCOUNTS * PROSPECTS_PER_ACCOUNT
    assert len({p.email for p in world.prospects}) == len(world.prospects)


def test_the_demo_command_needs_the_sandboxes(settings):
    settings.SANDBOX_ENABLED = False
    with pytest.raises(CommandError, match="SANDBOX_ENABLED"):
        call_command("demo")


def test_the_environment_points_at_the_sandboxes_and_keeps_what_the_operator_set():
    shell = demo_environment_shell(public_url="http://localhost:8000", environ={"HULL_FIREHOSE_URL": "https://x"})
    assert "export OUTREACH_API_URL=http://localhost:8000/sandbox/outreach/api/v2" in shell
    assert "export OUTREACH_OAUTH_URL=http://localhost:8000/sandbox/outreach/oauth" in shell
    assert "HULL_FIREHOSE_URL" not in shell


def test_running_the_demo_twice_changes_nothing_and_keeps_tokens(settings):
    settings.SANDBOX_ENABLED = True
    first = demo_setup(public_url=PUBLIC)
    tokens = (first.connector.outreach_access_token, first.connector.outreach_refresh_token, first.connector.hull_secret)
    second = demo_setup(public_url=PUBLIC)
    assert Connector.objects.filter(name=DEMO_NAME).count() == 1
    assert (second.hull_users, second.hull_accounts) == (first.hull_users, first.hull_accounts)
    c = Connector.objects.get(name=DEMO_NAME)
    assert (c.outreach_access_token, c.outreach_refresh_token, c.hull_secret) == tokens
    assert c.is_authorized and c.link_users_in_hull and c.synchronized_user_segments
    org = Organization.objects.get()
    assert (org.host, org.connector_id, org.connector_secret, org.auto_notify) == (
        c.hull_organization, c.hull_id, c.hull_secret, True)
    assert HullUser.objects.filter(email__in=first.overlapping_emails).count() == len(first.overlapping_emails) > 20


def test_the_web_process_seeds_outreach_accepts_the_tokens_and_registers_a_signed_webhook(demo):
    result, sandbox = demo
    connector = Connector.objects.get(name=DEMO_NAME)
    assert len(sandbox.all("prospect")) == 300 and len(sandbox.all("account")) == 30
    assert connector.outreach_access_token in sandbox.access_tokens
    [hook] = sandbox.all("webhook")
    assert hook["attributes"]["url"] == f"{PUBLIC}/webhooks/outreach/{connector.webhook_token}"
    assert hook["attributes"]["secret"] == connector.outreach_webhook_secret and connector.outreach_webhook_id == str(hook["id"])


def test_nothing_is_seeded_without_the_demo_connector():
    sandbox = OutreachSandbox()
    demo_outreach_sandbox_setup(sandbox)
    assert not sandbox.all("prospect")


def test_fetch_all_brings_every_prospect_into_hull_and_merges_the_overlapping_users(demo, run_jobs):
    result, sandbox = demo
    before = HullUser.objects.count()
    job = job_create(connector=result.connector, kind=JobKind.FETCH_ALL, started_by="test")
    run_jobs()
    job.refresh_from_db()
    assert (job.status, job.succeeded) == (JobStatus.SUCCEEDED, 330)
    assert HullUser.objects.count() == before + 300 - len(result.overlapping_emails)
    email = result.overlapping_emails[0]
    traits = HullUser.objects.get(email=email).traits
    assert traits["outreach/title"] and traits["first_name"]  # Outreach's data beside Hull's own
    assert SyncLog.objects.filter(event="incoming.user.success", email=email).exists()


def test_editing_a_prospect_on_the_sandbox_page_delivers_outreachs_webhook(demo, staff_client, monkeypatch):
    result, sandbox = demo
    sandbox.deliver = deliver_to_django_client(Client())
    monkeypatch.setattr(sandbox_views, "sandbox_default", lambda: sandbox)
    listing = staff_client.get(reverse("console:sandbox-prospects") + "?q=lovelace").content.decode()
    assert "lovelace" in listing
    url = reverse("console:sandbox-prospect", args=[1])
    page = staff_client.post(url, {"firstName": "Ada", "lastName": "Byron", "title": "Countess", "addressCity": "London"}, follow=True)
    assert "Outreach sent 1 webhook(s): prospect.updated → 200" in page.content.decode()
    delivery = OutreachDelivery.objects.get()
    assert (delivery.event_name, delivery.resource_id) == ("prospect.updated", 1)


def test_the_sandbox_page_makes_outreach_fail_on_request(demo, staff_client, monkeypatch):
    result, sandbox = demo
    monkeypatch.setattr(sandbox_views, "sandbox_default", lambda: sandbox)
    staff_client.post(reverse("console:sandbox-prospects"), {"method": "GET", "path": "/prospects", "status": "403", "times": "1"})
    [fault] = sandbox.faults
    assert (fault.method, fault.path, fault.status, fault.times) == ("GET", "/prospects", 403, 1)


def test_the_sandbox_pages_are_staff_only_and_off_without_sandboxes(client, charlie, settings):
    url = reverse("console:sandbox-prospects")
    settings.SANDBOX_ENABLED = True
    assert client.get(url).status_code == 302
    client.force_login(charlie)
    assert client.get(url).status_code in (302, 403)
    settings.SANDBOX_ENABLED = False
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.create_superuser("root", "r@x.test", "pw"))
    assert client.get(url).status_code == 404
