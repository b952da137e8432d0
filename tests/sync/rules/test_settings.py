"""The rules read a Connector, or a snapshot of it taken once per batch."""

from sync.choices import Direction, Entity
from sync.models import AttributeMapping
from sync.rules.outgoing_filter import user_outgoing_decision
from sync.rules.settings import RuleSettings, rule_settings_snapshot


def test_a_snapshot_holds_the_connectors_settings_and_mappings_in_order(connector, django_assert_num_queries):
    connector.synchronized_user_segments = ["seg-1"]
    connector.link_users_in_service = True
    connector.prospect_outgoing_user_segments = "custom10"
    connector.save()
    for position, (hull, service) in enumerate([("traits_title", "title"), ("phone", "workPhones")]):
        AttributeMapping.objects.create(
            connector=connector, entity=Entity.USER, direction=Direction.OUTGOING, hull=hull, service=service,
            position=position,
        )
    with django_assert_num_queries(1):
        snapshot = rule_settings_snapshot(connector=connector)
    assert snapshot == RuleSettings(
        synchronized_user_segments=["seg-1"],
        link_users_in_service=True,
        prospect_outgoing_user_segments="custom10",
        outgoing_user_attributes=[{"hull": "traits_title", "service": "title"}, {"hull": "phone", "service": "workPhones"}],
        outgoing_account_attributes=[{"hull": "name", "service": "name"}],
    )


def test_the_rules_accept_a_connector_itself(connector):
    connector.synchronized_user_segments = ["seg-1"]
    AttributeMapping.objects.create(
        connector=connector, entity=Entity.USER, direction=Direction.OUTGOING, hull="traits_title", service="title"
    )
    message = {
        "user": {"outreach/id": 3},
        "segments": [{"id": "seg-1", "name": "S"}],
        "changes": {"user": {"title": ["a", "b"]}},
    }
    decision = user_outgoing_decision(connector=connector, message=message, is_batch=False)
    assert (decision.send, decision.changed) == (True, ("title",))
