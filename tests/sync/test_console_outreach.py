from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from sync import console_hooks
from sync.choices import JobKind
from sync.console_outreach import (
    connector_budget_used,
    connector_connection_test,
    connector_record_count,
    connector_webhook_upkeep,
    webhooks_upkeep_enqueue,
)
from sync.models import Connector, SyncLog

pytestmark = pytest.mark.django_db


def test_the_record_count_is_outreachs_meta_count_read_with_one_small_page(connector, outreach):
    outreach.seed(prospects=12, accounts=3)
    assert connector_record_count(connector=connector, kind=JobKind.FETCH_ALL) == 15
    assert connector_record_count(connector=connector, kind=JobKind.FETCH_PROSPECTS) == 12
    reads = outreach.requests_to("GET", "/prospects")
    assert reads and all(r.query["count"] == "true" and r.query["page[size]"] == "1" for r in reads)


def test_the_fetch_all_confirmation_says_what_outreach_reports(staff_client, connector, outreach):
    outreach.seed(prospects=40, accounts=10)
    console_hooks.record_counter_set(connector_record_count)
    html = staff_client.get(reverse("admin:sync_connector_fetch", args=[connector.pk, JobKind.FETCH_ALL])).content.decode()
    assert "Outreach reports 50 records" in html


def test_the_budget_left_follows_outreachs_last_rate_headers(connector, outreach):
    outreach.rate_spend(4000)  # another integration of the same Outreach user
    connector_connection_test(connector=connector)
    used, limit = connector_budget_used(connector=connector)
    assert limit == 10000 and used > 4000


def test_the_dashboard_shows_the_budget_used(staff_client, connector, outreach):
    outreach.rate_spend(250)
    connector_connection_test(connector=connector)
    console_hooks.budget_reader_set(connector_budget_used)
    html = staff_client.get(reverse("admin:sync_connector_dashboard", args=[connector.pk])).content.decode()
    assert "requests used this hour" in html and "of 10000" in html


def test_test_connection_reports_a_working_token_budget_and_a_missing_webhook(connector, outreach):
    report = connector_connection_test(connector=connector)
    checks = {c.name: c for c in report.checks}
    assert checks["Token"].ok and checks["Scopes"].ok and checks["Rate budget"].ok
    assert checks["Webhook"].ok is False and "Not registered" in checks["Webhook"].detail
    assert not report.ok


def test_test_connection_names_a_refused_token(connector, outreach):
    outreach.token_expire_now()
    outreach.refresh_token_revoke()
    report = connector_connection_test(connector=connector)
    token = report.checks[0]
    assert (token.name, token.ok) == ("Token", False)
    assert all(c.ok is None for c in report.checks[1:])


def test_test_connection_names_a_missing_scope(connector, outreach):
    outreach.fault_add("/webhooks", method="GET", status=403)
    checks = {c.name: c for c in connector_connection_test(connector=connector).checks}
    assert checks["Scopes"].ok is False and "webhooks.all" in checks["Scopes"].detail


def test_test_connection_sees_a_webhook_disabled_in_outreach(connector, outreach):
    from connectors.outreach.webhooks import webhook_ensure

    hook = webhook_ensure(connector=connector)
    assert {c.name: c for c in connector_connection_test(connector=connector).checks}["Webhook"].ok
    outreach.change("webhook", hook["id"], {"active": False})
    webhook = {c.name: c for c in connector_connection_test(connector=connector).checks}["Webhook"]
    assert webhook.ok is False and "disabled" in webhook.detail


def test_the_test_connection_page_shows_each_check(staff_client, connector, outreach):
    html = staff_client.get(reverse("console:connection-test", args=[connector.pk])).content.decode()
    for name in ("Token", "Scopes", "Rate budget", "Webhook"):
        assert f"<th>{name}</th>" in html
    assert "requests left this hour" in html


def test_re_register_asks_first_then_registers_a_signed_webhook(staff_client, connector, outreach):
    url = reverse("console:webhook-reregister", args=[connector.pk])
    assert "Yes, re-register the webhook" in staff_client.get(url).content.decode()
    assert not outreach.all("webhook")
    response = staff_client.post(url, {"confirm": "yes"}, follow=True)
    [hook] = outreach.all("webhook")
    connector.refresh_from_db()
    assert hook["attributes"]["url"].endswith(f"/webhooks/outreach/{connector.webhook_token}")
    assert hook["attributes"]["secret"] == connector.outreach_webhook_secret
    assert f"Outreach webhook {hook['id']} is registered" in response.content.decode()


def test_re_register_reports_outreachs_refusal(staff_client, connector, outreach):
    outreach.fault_add("/webhooks", method="POST", status=422)
    response = staff_client.post(reverse("console:webhook-reregister", args=[connector.pk]), {"confirm": "yes"}, follow=True)
    assert "Could not register the Outreach webhook" in response.content.decode()
    assert SyncLog.objects.filter(event="connector.webhook.error").exists()


@pytest.mark.parametrize("name", ["console:connection-test", "console:webhook-reregister"])
def test_the_tools_are_refused_to_anonymous_and_non_staff(client, charlie, connector, name):
    url = reverse(name, args=[connector.pk])
    assert client.get(url).status_code == 302  # to sign in
    client.force_login(charlie)
    assert client.get(url).status_code in (302, 403)
    assert client.post(url, {"confirm": "yes"}).status_code in (302, 403)


def test_the_tools_show_on_the_connector_page_once_connected(staff_client, connector):
    html = staff_client.get(reverse("admin:sync_connector_change", args=[connector.pk])).content.decode()
    assert "Test connection" in html and "Re-register webhook" in html
    bare = Connector.objects.create(name="bare", hull_id="h-bare", hull_organization="bare.hullapp.io")
    html = staff_client.get(reverse("admin:sync_connector_change", args=[bare.pk])).content.decode()
    assert "Test connection" not in html


def test_the_tick_hands_webhooks_unchecked_for_an_hour_to_a_worker_once(connector):
    cache.clear()
    Connector.objects.filter(pk=connector.pk).update(outreach_webhook_checked_at=timezone.now() - timedelta(hours=2))
    assert webhooks_upkeep_enqueue() == 1
    assert webhooks_upkeep_enqueue() == 0  # claimed: not again every minute
    cache.clear()
    Connector.objects.filter(pk=connector.pk).update(outreach_webhook_checked_at=timezone.now())
    assert webhooks_upkeep_enqueue() == 0


def test_the_upkeep_task_registers_the_webhook(connector, outreach):
    assert connector_webhook_upkeep(connector.pk).startswith("webhook ")
    connector.refresh_from_db()
    assert connector.outreach_webhook_id and connector.outreach_webhook_checked_at


def test_importing_a_file_with_tokens_registers_the_webhook(connector, outreach, tmp_path, capsys):
    from sync.settings_io import connector_export

    document = connector_export(connector)
    path = tmp_path / "acme.json"
    import json

    path.write_text(json.dumps(document))
    call_command("connector", "import", str(path))
    assert len(outreach.all("webhook")) == 1


def test_an_import_stands_when_the_webhook_cannot_be_registered(connector, outreach, tmp_path, capsys):
    import json

    from sync.settings_io import connector_export

    document = connector_export(connector)
    document["options"] = {"fetch_interval_minutes": 17}
    path = tmp_path / "acme.json"
    path.write_text(json.dumps(document))
    outreach.fault_add("/webhooks", method="POST", status=422)
    call_command("connector", "import", str(path))
    connector.refresh_from_db()
    assert connector.fetch_interval_minutes == 17
    assert "Imported, but the Outreach webhook could not be registered" in capsys.readouterr().err


def test_deleting_a_connector_removes_its_webhook_from_outreach_and_says_so(staff_client, connector, outreach):
    from connectors.outreach.webhooks import webhook_ensure, webhook_url
    from sync.console_outreach import connector_webhook_remove

    console_hooks.connector_cleanup_set(connector_webhook_remove)
    webhook_ensure(connector=connector)
    ours = webhook_url(connector)
    someone_elses = outreach.webhook_add(url="https://elsewhere.example/hook", secret="x")

    response = staff_client.post(
        reverse("admin:sync_connector_delete", args=[connector.pk]), {"post": "yes"}, follow=True
    )

    assert response.status_code == 200
    assert not Connector.objects.filter(pk=connector.pk).exists()
    urls = [hook["attributes"]["url"] for hook in outreach.all("webhook")]
    assert ours not in urls and someone_elses["attributes"]["url"] in urls
    assert "Its Outreach webhook was removed (1)." in response.content.decode()


def test_a_connector_is_deleted_even_when_outreach_refuses_to_remove_its_webhook(staff_client, connector, outreach):
    from connectors.outreach.webhooks import webhook_ensure
    from sync.console_outreach import connector_webhook_remove

    console_hooks.connector_cleanup_set(connector_webhook_remove)
    webhook_ensure(connector=connector)
    outreach.fault_add("/webhooks", method="GET", status=403)

    response = staff_client.post(
        reverse("admin:sync_connector_delete", args=[connector.pk]), {"post": "yes"}, follow=True
    )

    assert not Connector.objects.filter(pk=connector.pk).exists()
    assert "could not be removed" in response.content.decode()
