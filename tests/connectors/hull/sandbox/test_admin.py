"""A person uses the sandbox admin: list users, edit one, and the notification reports the edit."""

import pytest
from django.contrib.admin import AdminSite
from django.urls import include, path

from connectors.hull.sandbox.admin import sandbox_admin_register
from sync.models import HullMessage

site = AdminSite(name="sandbox_admin_test")
sandbox_admin_register(site)
urlpatterns = [path("admin/", site.urls), path("", include("sync.api.urls"))]

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


def test_staff_see_users_with_traits_and_segments(staff_client, hull):
    smugglers = hull.segment("Smugglers")
    hull.user(email="han@smuggler.com", traits={"title": "Pilot"}, segments=[smugglers])

    page = staff_client.get("/admin/hull_sandbox/user/").content.decode()

    assert "han@smuggler.com" in page and "Pilot" in page and "Smugglers" in page


def test_an_edit_in_the_admin_is_sent_with_its_changes(staff_client, hull):
    han = hull.user(email="han@smuggler.com", traits={"title": "Pilot"})

    response = staff_client.post(
        f"/admin/hull_sandbox/user/{han.pk}/change/",
        {
            "organization": hull.organization.pk,
            "email": "han@smuggler.com",
            "external_id": "",
            "anonymous_ids": "[]",
            "traits": '{"title": "General"}',
            "account": "",
        },
    )
    assert response.status_code == 302
    [body] = hull.notify()

    assert body["messages"][0]["changes"]["user"] == {"traits_title": ["Pilot", "General"]}
    assert HullMessage.objects.get().body["changes"]["user"] == {"title": ["Pilot", "General"]}


def test_a_users_page_shows_its_tracked_events(staff_client, hull, connector):
    from connectors.hull.firehose import HullFirehose

    firehose = HullFirehose(connector)
    firehose.track({"anonymous_id": "outreach:7"}, event="Message Opened", properties={"email_subject": "Join us"},
                   event_id="42", created_at="2026-01-02T03:04:05.000Z")
    firehose.flush()
    user = hull.find_user(anonymous_id="outreach:7")

    page = staff_client.get(f"/admin/hull_sandbox/user/{user.pk}/change/").content.decode()

    assert "Message Opened" in page and "Join us" in page and "2026-01-02T03:04:05.000Z" in page
