"""The sandbox's activity resources answer like Outreach: /events, /mailings, /sequences, /sequenceSteps,
and mailing / sequence-state webhooks as captured."""

import hashlib
import hmac
import json

import pytest

from connectors.outreach import http
from tests.conftest import FIXTURES

API = "https://api.outreach.io/api/v2"


def fixture(name):
    return json.loads((FIXTURES / name).read_text())


@pytest.fixture
def call(outreach):
    session = http.session_create()

    def send(method, path, **kwargs):
        return session.request(method, f"{API}{path}", headers={"Authorization": "Bearer outreach-access-token-acme"}, **kwargs)

    return send


def test_an_event_has_the_shape_of_outreachs(call, outreach):
    prospect = outreach.prospect_add(firstName="Leia")
    outreach.event_add(name="message_opened", prospect_id=prospect["id"], user_id=1)
    captured = fixture("api-responses/list-recent-events.json")["data"][1]

    [mine] = call("GET", "/events").json()["data"]

    assert mine.keys() == captured.keys()
    assert mine["attributes"].keys() == captured["attributes"].keys()
    assert mine["relationships"] == {
        "mailing": {"data": None},
        "prospect": {"data": {"type": "prospect", "id": prospect["id"]}},
        "user": {"data": {"type": "user", "id": 1}},
    }
    assert mine["links"]["self"].endswith(f"/api/v2/events/{mine['id']}")


def test_events_filter_on_an_eventat_window_and_page_by_cursor_up_to_1000(call, outreach):
    outreach.seed(prospects=2)
    outreach.events_seed(count=1205, step_seconds=1)
    events = sorted(outreach.all("event"), key=lambda e: e["attributes"]["eventAt"])
    low, high = events[100]["attributes"]["eventAt"], events[1200]["attributes"]["eventAt"]

    first = call("GET", "/events", params={"filter[eventAt]": f"{low}..{high}", "sort": "-eventAt", "page[size]": 1000}).json()
    second = call("GET", first["links"]["next"].split("/api/v2")[1]).json()

    got = [e["attributes"]["eventAt"] for e in first["data"] + second["data"]]
    assert len(first["data"]) == 1000 and len(got) == 1101 and "next" not in second["links"]
    assert got == sorted(got, reverse=True) and got[0] == high and got[-1] == low
    too_big = call("GET", "/events", params={"page[size]": 1001})
    assert too_big.status_code == 400


def test_an_eventat_window_compares_instants_whatever_the_precision(call, outreach):
    outreach.event_add(name="message_opened", event_at="2026-01-01T10:00:00.000Z")

    inside = call("GET", "/events", params={"filter[eventAt]": "2026-01-01T09:59:59Z..2026-01-01T10:00:00Z"}).json()
    outside = call("GET", "/events", params={"filter[eventAt]": "2026-01-01T10:00:00.001Z..inf"}).json()

    assert len(inside["data"]) == 1 and outside["data"] == []


def test_events_filter_on_names_ids_and_mailing(call, outreach):
    p = outreach.prospect_add(firstName="Leia")
    mailing = outreach.mailing_add(prospect_id=p["id"])
    a = outreach.event_add(name="message_opened", prospect_id=p["id"], mailing_id=mailing["id"])
    b = outreach.event_add(name="message_clicked", prospect_id=p["id"])
    c = outreach.event_add(name="outbound_message", prospect_id=p["id"])

    def ids(**params):
        return [e["id"] for e in call("GET", "/events", params={"sort": "id", **params}).json()["data"]]

    assert ids(**{"filter[name]": "message_opened,outbound_message"}) == [a["id"], c["id"]]
    assert ids(**{"filter[id]": f"{b['id']}..inf"}) == [b["id"], c["id"]]
    assert ids(**{"filter[mailing][id]": str(mailing["id"])}) == [a["id"]]
    outreach.ignored_filters = {"name"}
    assert ids(**{"filter[name]": "message_opened"}) == [a["id"], b["id"], c["id"]]


def test_mailings_are_listed_by_a_comma_list_or_a_range_of_ids(call, outreach):
    p = outreach.prospect_add(firstName="Leia")
    sequence = outreach.sequence_add(name="Rebels")
    step = outreach.sequence_step_add(sequence_id=sequence["id"], order=1)
    ms = [outreach.mailing_add(prospect_id=p["id"], subject=f"S{i}", sequence_id=sequence["id"], step_id=step["id"])
          for i in range(4)]

    listed = call("GET", "/mailings", params={"filter[id]": f"{ms[0]['id']},{ms[2]['id']}"}).json()["data"]
    ranged = call("GET", "/mailings", params={"filter[id]": f"{ms[1]['id']}..{ms[2]['id']}"}).json()["data"]

    assert [m["attributes"]["subject"] for m in listed] == ["S0", "S2"]
    assert [m["id"] for m in ranged] == [ms[1]["id"], ms[2]["id"]]
    relationships = listed[0]["relationships"]
    assert relationships["sequence"] == {"data": {"type": "sequence", "id": sequence["id"]}}
    assert relationships["sequenceStep"] == {"data": {"type": "sequenceStep", "id": step["id"]}}
    assert relationships["prospect"] == {"data": {"type": "prospect", "id": p["id"]}}


def test_sequences_and_steps_are_listed_with_names(call, outreach):
    sequence = outreach.sequence_add(name="Rebels")
    outreach.sequence_step_add(sequence_id=sequence["id"], order=2, step_type="call")

    [listed_sequence] = call("GET", "/sequences").json()["data"]
    [listed_step] = call("GET", "/sequenceSteps", params={"page[limit]": 1000, "page[offset]": 0}).json()["data"]

    assert listed_sequence["attributes"]["name"] == "Rebels"
    assert listed_step["attributes"]["displayName"] == "Step #2 (call)"
    assert listed_step["relationships"]["sequence"] == {"data": {"type": "sequence", "id": sequence["id"]}}


def test_a_mailing_open_records_its_event_and_delivers_a_signed_bare_webhook(outreach):
    seen = []
    outreach.deliver = lambda url, headers, body: seen.append((headers, body)) or 200
    outreach.webhook_add(url="https://hullreach.test/webhooks/outreach/t", secret="s3cret")
    p = outreach.prospect_add(firstName="Leia")
    mailing = outreach.mailing_add(prospect_id=p["id"], subject="Join us")
    captured = fixture("webhook-payloads/mailing-delivered.json")

    event = outreach.mailing_activity(mailing["id"], "opened")

    [(headers, raw)] = seen
    body = json.loads(raw)
    assert body["data"] == {"type": "mailing", "id": mailing["id"]}
    assert body["data"].keys() == captured["data"].keys() and body["meta"]["eventName"] == "mailing.opened"
    assert headers["Outreach-Webhook-Signature"] == hmac.new(b"s3cret", raw, hashlib.sha256).hexdigest()
    assert event["attributes"]["name"] == "message_opened"
    assert event["relationships"] == {"prospect": p["id"], "user": outreach.authorizer_user_id, "mailing": mailing["id"]}
    assert outreach.get("mailing", mailing["id"])["attributes"]["openCount"] == 1


def test_a_sequence_state_advances_then_finishes_with_events_and_webhooks(outreach):
    outreach.deliver = lambda url, headers, body: 200
    outreach.webhook_add(url="https://hullreach.test/webhooks/outreach/t")
    p = outreach.prospect_add(firstName="Leia")
    sequence = outreach.sequence_add(name="Rebels")
    one = outreach.sequence_step_add(sequence_id=sequence["id"], order=1)
    two = outreach.sequence_step_add(sequence_id=sequence["id"], order=2)
    state = outreach.sequence_state_add(prospect_id=p["id"], sequence_id=sequence["id"], step_id=one["id"])

    advanced = outreach.sequence_state_activity(state["id"], "advanced")
    finished = outreach.sequence_state_activity(state["id"], "finished")

    assert [d.event_name for d in outreach.deliveries] == ["sequenceState.advanced", "sequenceState.finished"]
    assert outreach.deliveries[0].json["data"] == fixture("webhook-payloads/sequence-state-advanced.json")["data"]
    assert (advanced["attributes"]["name"], finished["attributes"]["name"]) == (
        "sequence_state_advanced",
        "sequence_state_finished",
    )
    stored = outreach.get("sequenceState", state["id"])
    assert stored["relationships"]["sequenceStep"] == two["id"] and stored["attributes"]["state"] == "finished"
