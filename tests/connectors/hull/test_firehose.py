import json

import jwt
import pytest

from connectors.hull.claims import access_token_decode
from connectors.hull.firehose import HullFirehose, HullFirehoseError, firehose_url
from sync.choices import JobKind, JobStatus
from sync.jobs import job_create, job_run
from tests.conftest import HULL_ID, HULL_ORGANIZATION, HULL_SECRET

pytestmark = pytest.mark.django_db


def sent_batches(hull):
    return [json.loads(r.body) for r in hull.firehose_requests]


def entry_claims(entry):
    return access_token_decode(entry["headers"]["Hull-Access-Token"], secret=HULL_SECRET)


def test_the_firehose_url_is_firehose_dot_the_organizations_domain(settings):
    settings.HULL_FIREHOSE_URL = ""
    assert firehose_url("acme.hullapp.io") == "https://firehose.hullapp.io"
    assert firehose_url("c5011027.hullbeta.io") == "https://firehose.hullbeta.io"
    settings.HULL_FIREHOSE_URL = "http://localhost:8000/sandbox/hull/firehose"
    assert firehose_url("acme.hullapp.io") == "http://localhost:8000/sandbox/hull/firehose"


def test_user_traits_carry_the_user_claims_and_set_operations(connector, hull):
    firehose = HullFirehose(connector)
    firehose.user_traits(
        {"anonymous_id": "outreach:16", "email": "darth@darksideinc.com", "outreach_id": 16, "external_id": ""},
        {"outreach/id": 16, "outreach/custom1": None, "name": {"operation": "setIfNull", "value": "Darth"}},
    )
    firehose.flush()

    [request] = hull.firehose_requests
    assert request.method == "POST"
    assert request.url == "https://firehose.hullapp.io/"
    assert request.headers["Hull-App-Id"] == HULL_ID
    assert request.headers["Hull-Organization"] == HULL_ORGANIZATION
    payload = json.loads(request.body)
    assert set(payload) == {"batch", "timestamp", "sentAt"}
    [entry] = payload["batch"]
    assert entry["type"] == "traits"
    assert entry["body"] == {
        "outreach/id": {"operation": "set", "value": 16},
        "outreach/custom1": {"operation": "set", "value": None},
        "name": {"operation": "setIfNull", "value": "Darth"},
    }
    claims = entry_claims(entry)
    # Only the claim keys Hull accepts, without empty values.
    assert claims["io.hull.asUser"] == {"anonymous_id": "outreach:16", "email": "darth@darksideinc.com"}
    assert "io.hull.asAccount" not in claims
    assert claims["io.hull.subjectType"] == "user"
    assert claims["iss"] == HULL_ID
    assert isinstance(claims["iat"], int)
    assert hull.user_traits(email="darth@darksideinc.com") == {"outreach/id": 16, "name": "Darth"}


def test_account_traits_carry_only_account_claim_keys(connector, hull):
    firehose = HullFirehose(connector)
    firehose.account_traits({"anonymous_id": "outreach:20", "domain": "darksideinc.com", "email": "x@y.z"}, {"outreach/id": 20})
    firehose.flush()

    [entry] = sent_batches(hull)[0]["batch"]
    claims = entry_claims(entry)
    assert claims["io.hull.asAccount"] == {"anonymous_id": "outreach:20", "domain": "darksideinc.com"}
    assert claims["io.hull.subjectType"] == "account"
    assert "io.hull.asUser" not in claims
    assert entry["body"] == {"outreach/id": {"operation": "set", "value": 20}}


def test_a_link_is_a_traits_entry_with_both_claims_subject_account_and_an_empty_body(connector, hull):
    firehose = HullFirehose(connector)
    firehose.link_user_to_account({"anonymous_id": "outreach:16"}, {"anonymous_id": "outreach:20"})
    firehose.flush()

    [entry] = sent_batches(hull)[0]["batch"]
    assert entry["type"] == "traits"
    assert entry["body"] == {}
    claims = entry_claims(entry)
    assert claims["io.hull.asUser"] == {"anonymous_id": "outreach:16"}
    assert claims["io.hull.asAccount"] == {"anonymous_id": "outreach:20"}
    assert claims["io.hull.subjectType"] == "account"


def test_a_track_entry_has_the_event_body_hull_expects(connector, hull):
    firehose = HullFirehose(connector)
    firehose.track(
        {"anonymous_id": "outreach:16"},
        event="Message Opened",
        properties={"mailing_id": 7},
        event_id="outreach:event:991",
        created_at="2024-05-01T10:00:00Z",
    )
    firehose.flush()

    [entry] = sent_batches(hull)[0]["batch"]
    assert entry["type"] == "track"
    assert entry["body"] == {
        "event": "Message Opened",
        "properties": {"mailing_id": 7},
        "ip": None,
        "url": None,
        "referer": None,
        "event_id": "outreach:event:991",
        "created_at": "2024-05-01T10:00:00Z",
        "source": "Outreach",
    }
    assert entry_claims(entry)["io.hull.asUser"] == {"anonymous_id": "outreach:16"}
    [event] = hull.events(anonymous_id="outreach:16")
    assert (event.event, event.properties, event.event_id) == ("Message Opened", {"mailing_id": 7}, "outreach:event:991")


def test_a_token_signed_with_another_secret_does_not_verify(connector, hull):
    firehose = HullFirehose(connector)
    firehose.user_traits({"email": "a@b.co"}, {"x": 1})
    token = firehose.pending[0]["headers"]["Hull-Access-Token"]
    assert access_token_decode(token, secret=HULL_SECRET)["io.hull.asUser"] == {"email": "a@b.co"}
    with pytest.raises(jwt.InvalidSignatureError):
        access_token_decode(token, secret="another-secret-of-32-characters!")


def test_entries_are_sent_100_to_a_request(connector, hull):
    firehose = HullFirehose(connector)
    for n in range(250):
        firehose.user_traits({"anonymous_id": f"outreach:{n}"}, {"outreach/id": n})
    assert len(hull.firehose_requests) == 2  # two full batches went as soon as they filled
    firehose.flush()

    assert [len(b["batch"]) for b in sent_batches(hull)] == [100, 100, 50]
    assert len(hull.users()) == 250


def test_a_5xx_is_retried_and_then_succeeds(connector, hull):
    hull.fail_firehose(502, 503)
    firehose = HullFirehose(connector)
    firehose.user_traits({"email": "a@b.co"}, {"x": 1})
    firehose.flush()

    assert len(hull.firehose_requests) == 3
    assert hull.user_traits(email="a@b.co") == {"x": 1}


def test_a_refused_batch_is_not_retried_and_raises(connector, hull):
    hull.fail_firehose(400)
    firehose = HullFirehose(connector)
    firehose.user_traits({"email": "a@b.co"}, {"x": 1})
    with pytest.raises(HullFirehoseError, match="HTTP 400"):
        firehose.flush()
    assert len(hull.firehose_requests) == 1
    assert len(firehose.pending) == 1  # nothing dropped


@pytest.fixture
def firehose_handler(monkeypatch):
    import sys
    import types

    from sync import jobs

    def handle(job):
        firehose = HullFirehose(job.connector)
        firehose.user_traits({"email": "a@b.co"}, {"outreach/id": 1})
        firehose.flush()

    module = types.ModuleType("firehose_handlers")
    module.handle = handle
    monkeypatch.setitem(sys.modules, "firehose_handlers", module)
    monkeypatch.setattr(jobs, "JOB_HANDLERS", {kind: "firehose_handlers.handle" for kind in JobKind})


def test_a_5xx_on_flush_retries_and_then_fails_the_job_so_it_runs_again(connector, hull, firehose_handler):
    hull.fail_firehose(*[500] * 8)
    job = job_create(connector=connector, kind=JobKind.OUTGOING, started_by="hull")

    job_run(job.pk)

    job.refresh_from_db()
    assert len(hull.firehose_requests) == 4  # one request, three retries
    assert job.status == JobStatus.RETRYING
    assert "HTTP 500" in job.error
    assert hull.users() == []

    job.max_attempts = 2
    job.status = JobStatus.QUEUED
    job.save()
    job_run(job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert "gave up after 2 attempts" in job.error
