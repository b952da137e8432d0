"""The standard world every test shares.

- alice: staff superuser who runs the console; charlie: signed in, not staff.
- acme: a connector authorized with Outreach, with the original's default settings.
"""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from sync.choices import AuthStatus, Direction, Entity, JobStatus
from sync.models import AttributeMapping, Connector, SyncJob

# Fixtures for each side live beside this file, one module per external system.
pytest_plugins = ["tests.fixtures_outreach", "tests.fixtures_hull"]

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
FIXTURES = SHARED / "fixtures" / "hull-outreach"

HULL_ID = "5c0fd68a1b0d2b1f0e000001"
HULL_ORGANIZATION = "acme.hullapp.io"
HULL_SECRET = "hull-connector-secret-acme"


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _console_hooks_unset():
    """The console's Outreach providers (record counter, budget reader, webhook clean-up on delete) are off
    unless a test sets them: the wired ones would ask Outreach, and tests never leave the machine."""
    from sync import console_hooks

    saved = console_hooks._record_counter, console_hooks._budget_reader, console_hooks._connector_cleanup
    console_hooks.record_counter_set(None)
    console_hooks.budget_reader_set(None)
    console_hooks.connector_cleanup_set(None)
    yield
    console_hooks.record_counter_set(saved[0])
    console_hooks.budget_reader_set(saved[1])
    console_hooks.connector_cleanup_set(saved[2])


@pytest.fixture
def alice(django_user_model):
    return django_user_model.objects.create_superuser("alice", "alice@hullreach.test", "alice-password")


@pytest.fixture
def charlie(django_user_model):
    return django_user_model.objects.create_user("charlie", "charlie@hullreach.test", "charlie-password")


@pytest.fixture
def staff_client(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def connector(db):
    acme = Connector.objects.create(
        name="acme",
        hull_id=HULL_ID,
        hull_organization=HULL_ORGANIZATION,
        hull_secret=HULL_SECRET,
        outreach_access_token="outreach-access-token-acme",
        outreach_refresh_token="outreach-refresh-token-acme",
        outreach_token_expires_at=timezone.now() + timedelta(hours=2),
        outreach_auth_status=AuthStatus.OK,
    )
    AttributeMapping.objects.create(
        connector=acme, entity=Entity.ACCOUNT, direction=Direction.OUTGOING, hull="name", service="name"
    )
    return acme


@pytest.fixture
def run_jobs():
    """Run every queued job inline, as a worker would, until none is left. Returns the jobs run."""
    from sync.jobs import job_run

    def run(limit=100):
        ran = []
        for _ in range(limit):
            job = SyncJob.objects.filter(status=JobStatus.QUEUED).order_by("id").first()
            if job is None:
                break
            ran.append(job_run(job.pk))
        return ran

    return run
