"""The sandbox firehose behaves like Hull: identity resolution, trait operations, links, events."""

import json

import pytest
from django.test import RequestFactory

from connectors.hull.claims import access_token_claims, access_token_encode
from connectors.hull.firehose import HullFirehose, HullFirehoseError
from connectors.hull.sandbox.firehose import firehose_receive
from connectors.hull.sandbox.views import firehose
from tests.conftest import HULL_ID, HULL_ORGANIZATION

pytestmark = pytest.mark.django_db


def write(connector, *calls):
    firehose = HullFirehose(connector)
    for method, args in calls:
        getattr(firehose, method)(*args)
    firehose.flush()


def test_the_same_email_from_two_writes_gives_one_user(connector, hull):
    write(connector, ("user_traits", ({"email": "han@smuggler.com"}, {"title": "Pilot"})))
    write(connector, ("user_traits", ({"email": "HAN@smuggler.com", "anonymous_id": "outreach:22"}, {"rank": "General"})))

    [user] = hull.users()
    assert user.email == "han@smuggler.com"
    assert user.traits == {"title": "Pilot", "rank": "General"}
    assert user.anonymous_ids == ["outreach:22"]


def test_an_anonymous_write_then_an_email_write_on_the_same_claims_is_one_user(connector, hull):
    write(connector, ("user_traits", ({"anonymous_id": "outreach:16"}, {"outreach/id": 16})))
    write(connector, ("user_traits", ({"anonymous_id": "outreach:16", "email": "darth@darksideinc.com"}, {"title": "Lord"})))

    [user] = hull.users()
    assert (user.email, user.anonymous_ids) == ("darth@darksideinc.com", ["outreach:16"])
    assert user.traits == {"outreach/id": 16, "title": "Lord"}


def test_claims_matching_two_users_merge_them_into_the_email_one(connector, hull):
    known = hull.user(email="luke@skywalker.com", traits={"title": "Jedi"})
    hull.user(anonymous_ids=["outreach:7"], traits={"title": "Farmer", "outreach/id": 7})

    write(connector, ("user_traits", ({"email": "luke@skywalker.com", "anonymous_id": "outreach:7"}, {})))

    [user] = hull.users()
    assert user.pk == known.pk
    assert user.anonymous_ids == ["outreach:7"]
    assert user.traits == {"title": "Jedi", "outreach/id": 7}  # the surviving user's values win


def test_accounts_resolve_by_normalised_domain(connector, hull):
    write(connector, ("account_traits", ({"domain": "https://www.Bluth.com/"}, {"name": "Bluth"})))
    write(connector, ("account_traits", ({"domain": "bluth.com", "anonymous_id": "outreach:29"}, {"outreach/id": 29})))

    [account] = hull.accounts()
    assert account.domain == "bluth.com"
    assert account.anonymous_ids == ["outreach:29"]
    assert account.traits == {"name": "Bluth", "outreach/id": 29}


def test_set_if_null_does_not_overwrite_a_value_and_set_null_unsets(connector, hull):
    hull.account(domain="bluth.com", traits={"name": "Bluth Company", "size": 10})

    write(
        connector,
        (
            "account_traits",
            (
                {"domain": "bluth.com"},
                {
                    "name": {"operation": "setIfNull", "value": "Bluth Co"},
                    "industry": {"operation": "setIfNull", "value": "Real estate"},
                    "size": None,
                },
            ),
        ),
    )

    assert hull.account_traits(domain="bluth.com") == {"name": "Bluth Company", "industry": "Real estate"}


def test_a_link_creates_a_shell_account_and_links_the_user(connector, hull):
    hull.user(email="gob@bluth.com", anonymous_ids=["outreach:10"])

    write(connector, ("link_user_to_account", ({"anonymous_id": "outreach:10"}, {"anonymous_id": "outreach:29"})))

    [account] = hull.accounts()
    assert account.anonymous_ids == ["outreach:29"] and account.domain == "" and account.traits == {}
    assert hull.find_user(email="gob@bluth.com").account == account
    [link] = hull.writes()
    assert link.kind == "link"

    # A later write with the account's domain finds the same (no longer shell) account.
    write(connector, ("account_traits", ({"anonymous_id": "outreach:29", "domain": "bluth.com"}, {"name": "Bluth"})))
    assert [a.domain for a in hull.accounts()] == ["bluth.com"]


def test_events_are_recorded_and_deduplicated_on_event_id(connector, hull):
    for _ in range(2):
        firehose = HullFirehose(connector)
        firehose.track({"anonymous_id": "outreach:16"}, event="Email Opened", event_id="e1", properties={"n": 1})
        firehose.flush()

    [event] = hull.events(anonymous_id="outreach:16")
    assert (event.event, event.event_id, event.source) == ("Email Opened", "e1", "Outreach")


def test_a_batch_signed_with_the_wrong_secret_is_refused_whole(connector, hull):
    good = access_token_encode(
        access_token_claims(connector_id=HULL_ID, as_user={"email": "a@b.co"}, as_account=None, subject_type="user"),
        secret=connector.hull_secret,
    )
    bad = access_token_encode(
        access_token_claims(connector_id=HULL_ID, as_user={"email": "c@d.co"}, as_account=None, subject_type="user"),
        secret="not-the-connector-secret-at-all!",
    )
    entries = [
        {"type": "traits", "headers": {"Hull-Access-Token": token}, "body": {"x": 1}, "timestamp": "t"}
        for token in (good, bad)
    ]

    result = firehose_receive(app_id=HULL_ID, organization_host=HULL_ORGANIZATION, payload={"batch": entries})

    assert result.status == 400
    assert "batch[1]" in result.body["error"] and "does not verify" in result.body["error"]
    assert hull.users() == [] and hull.writes() == []


def test_the_client_raises_when_the_sandbox_refuses_its_tokens(connector, hull):
    connector.hull_secret = "a-secret-hull-does-not-know-about"
    firehose = HullFirehose(connector)
    firehose.user_traits({"email": "a@b.co"}, {"x": 1})
    with pytest.raises(HullFirehoseError, match="HTTP 400"):
        firehose.flush()


def test_the_firehose_is_served_over_http(connector, hull):
    entry_token = access_token_encode(
        access_token_claims(connector_id=HULL_ID, as_user={"email": "a@b.co"}, as_account=None, subject_type="user"),
        secret=connector.hull_secret,
    )
    request = RequestFactory().post(
        "/sandbox/hull/firehose",
        data=json.dumps({"batch": [{"type": "traits", "headers": {"Hull-Access-Token": entry_token}, "body": {"x": 2}}]}),
        content_type="application/json",
        headers={"Hull-App-Id": HULL_ID, "Hull-Organization": HULL_ORGANIZATION},
    )
    response = firehose(request)
    assert response.status_code == 200
    assert hull.user_traits(email="a@b.co") == {"x": 2}
