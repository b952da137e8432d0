from sync.mapping_checks import mapping_problems
from sync.outreach_catalog import outreach_fields

NAME = {"entity": "account", "direction": "outgoing", "hull": "name", "service": "name"}


def row(entity, direction, hull, service):
    return {"entity": entity, "direction": direction, "hull": hull, "service": service}


def test_the_catalog_marks_read_only_fields():
    prospect = {f.name: f for f in outreach_fields(entity="user")}
    account = {f.name: f for f in outreach_fields(entity="account")}
    assert prospect["clickCount"].read_only and not prospect["title"].read_only
    assert prospect["name"].read_only  # Outreach builds a prospect's name itself
    assert not account["name"].read_only and account["createdAt"].read_only


def test_an_outgoing_mapping_to_a_read_only_field_is_an_error_but_incoming_is_fine():
    problems = mapping_problems(rows=[NAME, row("user", "outgoing", "clicks", "clickCount"), row("user", "incoming", "outreach/clicks", "clickCount")])
    assert [(p.level, p.index) for p in problems] == [("error", 1)]
    assert "read-only" in problems[0].reason


def test_the_same_hull_attribute_both_ways_is_a_loop_warning():
    problems = mapping_problems(rows=[NAME, row("user", "incoming", "title", "title"), row("user", "outgoing", "title", "title")])
    assert [(p.level, p.index, p.field) for p in problems] == [("warning", 2, "hull")]
    assert "loop risk" in problems[0].reason


def test_accounts_without_an_outgoing_name_are_warned_about():
    problems = mapping_problems(rows=[row("account", "outgoing", "domain", "domain")])
    assert [p.reason for p in problems] == [
        "No outgoing account mapping to the Outreach field “name”: Outreach rejects accounts without a name, "
        "so accounts sent to Outreach will fail."
    ]


def test_an_unknown_field_is_a_spelling_warning_and_custom_fields_are_known():
    problems = mapping_problems(rows=[NAME, row("user", "outgoing", "x", "titel"), row("user", "outgoing", "y", "custom7")])
    assert [(p.level, p.index) for p in problems] == [("warning", 1)]
