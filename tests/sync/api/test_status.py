import pytest

from sync.choices import AuthStatus, JobKind, JobStatus
from sync.jobs import job_create
from tests.conftest import HULL_ID, HULL_ORGANIZATION, HULL_SECRET

pytestmark = pytest.mark.django_db

QUERY = f"ship={HULL_ID}&organization={HULL_ORGANIZATION}&secret={HULL_SECRET}"


def status(client):
    response = client.get(f"/status?{QUERY}")
    assert response.status_code == 200
    return response.json()


def test_status_asks_for_setup_when_outreach_is_not_authorized(client, connector):
    connector.outreach_access_token = ""
    connector.outreach_auth_status = AuthStatus.NOT_CONNECTED
    connector.save()
    answer = status(client)
    assert answer["status"] == "setupRequired"
    assert answer["messages"][0].startswith("'Connector has not been authenticated.")


def test_status_is_ok_with_the_explanation_when_no_segment_is_whitelisted(client, connector):
    assert status(client) == {
        "status": "ok",
        "messages": [
            "No data will be sent from Hull to Outreach.io because there are no whitelisted segments configured.  "
            "Please visit the connector settings page and add segments to be sent to Outreach.io."
        ],
    }


def test_status_is_ok_without_messages_when_segments_are_whitelisted(client, connector):
    connector.synchronized_user_segments = ["s1"]
    connector.save()
    assert status(client) == {"status": "ok", "messages": []}


def test_status_is_an_error_when_outreach_needs_reauthorization(client, connector):
    connector.outreach_auth_status = AuthStatus.NEEDS_REAUTH
    connector.outreach_auth_error = "invalid_grant"
    connector.save()
    answer = status(client)
    assert answer["status"] == "error"
    assert "re-authorized" in answer["messages"][0] and "invalid_grant" in answer["messages"][0]


def test_status_is_an_error_when_the_last_job_failed(client, connector):
    job = job_create(connector=connector, kind=JobKind.OUTGOING, started_by="hull", enqueue=False)
    job.status, job.error = JobStatus.FAILED, "HullFirehoseError: HTTP 500\n\ntraceback"
    job.save()
    answer = status(client)
    assert answer["status"] == "error"
    assert answer["messages"] == [f"The last job (Outgoing batch (Hull notification), #{job.pk}) failed: HullFirehoseError: HTTP 500"]


def test_status_accepts_post_with_the_body_configuration(client, connector):
    response = client.post(
        "/status",
        data={"configuration": {"id": HULL_ID, "organization": HULL_ORGANIZATION, "secret": HULL_SECRET}},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_status_with_a_wrong_secret_is_401(client, connector):
    response = client.get(f"/status?ship={HULL_ID}&organization={HULL_ORGANIZATION}&secret=nope")
    assert response.status_code == 401
    assert response.json()["error"]
