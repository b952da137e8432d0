"""Secrets never reach what staff or log collectors read: SyncLog lines, job errors, Python logging."""

import logging

import pytest

from connectors.outreach.webhooks import webhook_ensure
from sync.choices import JobKind
from sync.jobs import job_create, job_run
from sync.models import Connector, SyncJob, SyncLog

from tests.conftest import HULL_SECRET
from tests.fixtures_outreach import deliver_to_django_client

pytestmark = pytest.mark.django_db


def test_no_secret_appears_in_log_lines_job_errors_or_the_service_log(connector, outreach, hull, client, run_jobs, caplog):
    caplog.set_level(logging.DEBUG)
    outreach.deliver = deliver_to_django_client(client)
    webhook_ensure(connector=connector)
    outreach.seed(prospects=20, accounts=3)
    outreach.token_expire_now()  # the fetch refreshes the token: the new tokens must not leak either
    job_run(job_create(connector=connector, kind=JobKind.FETCH_ALL, started_by="test", enqueue=False).pk)
    outreach.change("prospect", outreach.all("prospect")[0]["id"], {"title": "Admiral"})
    outreach.fault_add("/prospects", method="GET", status=500, times=10)
    job_run(job_create(connector=connector, kind=JobKind.FETCH_PROSPECTS, started_by="test", enqueue=False).pk)
    run_jobs()

    connector = Connector.objects.get(pk=connector.pk)
    secrets = {
        HULL_SECRET,
        connector.outreach_access_token,
        connector.outreach_refresh_token,
        connector.outreach_webhook_secret,
        "outreach-access-token-acme",
        "outreach-refresh-token-acme",
    }
    assert all(secrets)
    readable = [
        *(str(row) for row in SyncLog.objects.values("message", "payload")),
        *SyncJob.objects.values_list("error", flat=True),
        caplog.text,
    ]
    assert SyncLog.objects.count() > 20
    for text in readable:
        for secret in secrets:
            assert secret not in text
