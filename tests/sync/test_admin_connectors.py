"""The connectors list and the connector page, as staff see them."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from sync.choices import AuthStatus, JobKind, JobStatus
from sync.logs import sync_log
from sync.models import AttributeMapping, Connector, SeenAttribute, SeenSegment, SyncJob

pytestmark = pytest.mark.django_db

LIST = "admin:sync_connector_changelist"


def row_of(html: str, name: str) -> str:
    """The changelist row of connector `name`."""
    start = html.index(f">{name}</a>")
    return html[start : html.index("</tr>", start)]


def make_connector(name, n, **fields):
    return Connector.objects.create(
        name=name, hull_id=f"hull-{name}", hull_organization=f"{name}.hullapp.io", hull_secret="s", **fields
    )


def test_the_list_shows_authorization_webhook_paused_last_sync_errors_and_waiting_jobs(staff_client, connector):
    connector.outreach_webhook_id = "77"
    connector.outreach_webhook_checked_at = timezone.now() - timedelta(minutes=3)
    connector.save()
    sync_log(connector=connector, event="incoming.user.success", email="ada@example.com")
    sync_log(connector=connector, event="outgoing.user.error", email="bob@example.com", message="422")
    sync_log(connector=connector, event="outgoing.account.error", domain="acme.com", message="no name")
    SyncJob.objects.create(connector=connector, kind=JobKind.OUTGOING, status=JobStatus.QUEUED)
    SyncJob.objects.create(connector=connector, kind=JobKind.OUTGOING, status=JobStatus.RETRYING)
    SyncJob.objects.create(connector=connector, kind=JobKind.OUTGOING, status=JobStatus.WAITING)
    SyncJob.objects.create(connector=connector, kind=JobKind.OUTGOING, status=JobStatus.SUCCEEDED)

    row = row_of(staff_client.get(reverse(LIST)).content.decode(), "acme")

    assert "✔ ok" in row and "token expires in 1\xa0hour" in row
    assert "✔ registered" in row and "checked 3\xa0minutes ago" in row
    assert "running" in row
    assert "0\xa0minutes ago" in row  # last synced from Outreach
    assert "never" in row  # nothing synced to Outreach yet
    assert "⚠ 2 errors" in row
    assert "3 waiting" in row


def test_problems_stand_out_in_colour_and_words(staff_client, connector):
    broken = make_connector(
        "initech", 2, outreach_auth_status=AuthStatus.NEEDS_REAUTH, outreach_auth_error="invalid_grant", paused=True
    )
    row = row_of(staff_client.get(reverse(LIST)).content.decode(), broken.name)
    assert "⚠ needs re-authorization" in row
    assert "⏸ paused" in row
    assert "color:#ba2121" in row
    acme = row_of(staff_client.get(reverse(LIST)).content.decode(), "acme")
    assert "⚠ not registered" in acme  # authorized, but no webhook


def test_errors_older_than_24_hours_are_not_counted(staff_client, connector):
    from sync.stats import sync_stat_increment

    old = timezone.now() - timedelta(hours=26)
    sync_stat_increment(connector_id=connector.pk, event="incoming.user.error", at=old)
    row = row_of(staff_client.get(reverse(LIST)).content.decode(), "acme")
    assert "⚠" not in row.split("never")[-1]  # the errors and jobs columns
    assert '<span style="color:#2e7d32" title="">0</span>' in row
    sync_log(connector=connector, event="incoming.user.error", email="ada@example.com")
    row = row_of(staff_client.get(reverse(LIST)).content.decode(), "acme")
    assert "⚠ 1 error<" in row


def test_the_list_costs_the_same_queries_for_one_or_ten_connectors(staff_client, connector):
    def queries():
        with CaptureQueriesContext(connection) as ctx:
            assert staff_client.get(reverse(LIST)).status_code == 200
        return len(ctx.captured_queries)

    sync_log(connector=connector, event="incoming.user.success", email="a@example.com")
    one = queries()
    for i in range(9):
        other = make_connector(f"c{i}", i)
        sync_log(connector=other, event="outgoing.user.error", email="a@example.com")
        SyncJob.objects.create(connector=other, kind=JobKind.OUTGOING)
    assert queries() == one


def test_the_page_has_the_original_sections_with_help_in_staff_words(staff_client, connector):
    html = staff_client.get(reverse("admin:sync_connector_change", args=[connector.pk])).content.decode()
    for section in (
        "Connect with Outreach",
        "User identity",
        "Users from Outreach",
        "Users to Outreach",
        "Account identity",
        "Accounts from Outreach",
        "Accounts to Outreach",
        "Events",
    ):
        assert f">{section}</h2>" in html, section
    assert "Empty: no user is sent to Outreach" in html
    assert "a Hull account is created for EVERY Outreach account" in html
    assert "Outreach rejects accounts sent without a name" in html
    assert reverse("outreach:oauth-start", args=[connector.pk]) in html  # Connect / Re-authorize Outreach


def test_segments_are_chosen_by_name_and_stored_by_id(staff_client, connector):
    SeenSegment.objects.create(connector=connector, entity="user", hull_id="seg-vip", name="VIP customers")
    SeenSegment.objects.create(connector=connector, entity="user", hull_id="seg-trial", name="Trials")
    html = staff_client.get(reverse("admin:sync_connector_change", args=[connector.pk])).content.decode()
    assert "VIP customers" in html and "Trials" in html

    data = connector_post_data(connector)
    data["synchronized_user_segments"] = ["seg-vip"]
    data["synchronized_user_segments_other"] = "seg-typed-by-hand"
    response = staff_client.post(reverse("admin:sync_connector_change", args=[connector.pk]), data)

    assert response.status_code == 302, response.content.decode()[:3000]
    connector.refresh_from_db()
    assert connector.synchronized_user_segments == ["seg-vip", "seg-typed-by-hand"]
    html = staff_client.get(reverse("admin:sync_connector_change", args=[connector.pk])).content.decode()
    assert 'value="seg-vip" checked' in html
    assert 'value="seg-typed-by-hand"' in html  # an id not seen yet stays visible and editable


def test_events_are_offered_by_readable_name(staff_client, connector):
    html = staff_client.get(reverse("admin:sync_connector_change", args=[connector.pk])).content.decode()
    assert "Message Opened" in html and "Prospect Stage Changed" in html
    data = connector_post_data(connector)
    data["events_to_fetch"] = ["message_opened", "message_clicked"]
    assert staff_client.post(reverse("admin:sync_connector_change", args=[connector.pk]), data).status_code == 302
    connector.refresh_from_db()
    assert connector.events_to_fetch == ["message_opened", "message_clicked"]


def test_claims_are_edited_as_a_table(staff_client, connector):
    html = staff_client.get(reverse("admin:sync_connector_change", args=[connector.pk])).content.decode()
    assert 'name="user_claims-0-hull"' in html and 'name="user_claims-1-hull"' in html  # one blank row to add
    data = connector_post_data(connector)
    data.update({"user_claims-1-hull": "external_id", "user_claims-1-service": "externalId"})
    assert staff_client.post(reverse("admin:sync_connector_change", args=[connector.pk]), data).status_code == 302
    connector.refresh_from_db()
    assert connector.user_claims == [
        {"hull": "email", "service": "emails"},
        {"hull": "external_id", "service": "externalId"},
    ]


def test_an_account_claim_on_an_unknown_outreach_field_is_refused_with_the_choices(staff_client, connector):
    data = connector_post_data(connector)
    data["account_claims-0-service"] = "website"
    response = staff_client.post(reverse("admin:sync_connector_change", args=[connector.pk]), data)
    assert response.status_code == 200
    assert "Outreach field must be one of customId, domain, name" in response.content.decode()


def test_mapping_pickers_offer_outreach_fields_and_seen_hull_attributes(staff_client, connector):
    SeenAttribute.objects.create(connector=connector, entity="user", name="job_title")
    html = staff_client.get(reverse("admin:sync_connector_change", args=[connector.pk])).content.decode()
    outgoing = html[html.index('id="dl-outreach-user-outgoing"') :].split("</datalist>")[0]
    incoming = html[html.index('id="dl-outreach-user-incoming"') :].split("</datalist>")[0]
    assert 'value="title"' in outgoing
    assert 'value="clickCount"' not in outgoing  # read-only: not offered for outgoing
    assert 'value="clickCount">Click count (read-only)' in incoming
    hull = html[html.index('id="dl-hull-user"') :].split("</datalist>")[0]
    assert 'value="job_title"' in hull


def test_an_outgoing_mapping_to_a_read_only_field_is_refused_with_the_reason(staff_client, connector):
    data = connector_post_data(connector, mappings=[("user", "outgoing", "score", "clickCount")])
    response = staff_client.post(reverse("admin:sync_connector_change", args=[connector.pk]), data)
    assert response.status_code == 200
    assert "“clickCount” is read-only" in response.content.decode()
    assert not AttributeMapping.objects.filter(service="clickCount").exists()


def test_mappings_that_may_not_work_are_saved_with_warnings(staff_client, connector):
    data = connector_post_data(
        connector,
        mappings=[("user", "incoming", "title", "title"), ("user", "outgoing", "title", "title")],
        keep_name_mapping=False,
    )
    response = staff_client.post(reverse("admin:sync_connector_change", args=[connector.pk]), data, follow=True)
    html = response.content.decode()
    assert "mapped both ways" in html and "loop risk" in html
    assert "Outreach rejects accounts without a name" in html
    assert AttributeMapping.objects.filter(connector=connector, service="title").count() == 2
    # The warnings stay on the page until the mappings are fixed.
    html = staff_client.get(reverse("admin:sync_connector_change", args=[connector.pk])).content.decode()
    assert "Outreach rejects accounts without a name" in html


def connector_post_data(connector, *, mappings=(), keep_name_mapping=True):
    data = {
        "name": connector.name,
        "hull_id": connector.hull_id,
        "hull_organization": connector.hull_organization,
        "fetch_interval_minutes": connector.fetch_interval_minutes,
        "user_claims-0-hull": "email",
        "user_claims-0-service": "emails",
        "account_claims-0-hull": "domain",
        "account_claims-0-service": "domain",
    }
    existing = list(connector.mappings.all())
    rows = []
    for m in existing:
        rows.append((m.pk, m.entity, m.direction, m.hull, m.service, not keep_name_mapping))
    for entity, direction, hull, service in mappings:
        rows.append((None, entity, direction, hull, service, False))
    data.update({"mappings-TOTAL_FORMS": str(len(rows)), "mappings-INITIAL_FORMS": str(len(existing))})
    for i, (pk, entity, direction, hull, service, delete) in enumerate(rows):
        data.update(
            {
                f"mappings-{i}-id": pk or "",
                f"mappings-{i}-connector": connector.pk,
                f"mappings-{i}-entity": entity,
                f"mappings-{i}-direction": direction,
                f"mappings-{i}-hull": hull,
                f"mappings-{i}-service": service,
                f"mappings-{i}-position": i,
            }
        )
        if delete:
            data[f"mappings-{i}-DELETE"] = "on"
    return data
