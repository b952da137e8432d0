"""Configuration as code: a connector as JSON, in the original connector's `private_settings` shape.

    {"name": "acme",
     "hull": {"id": "...", "organization": "acme.hullapp.io", "secret": "..."},
     "outreach": {"access_token": "...", "refresh_token": "...", "expires_in": 7200, "created_at": 1764200000},
     "options": {"paused": false, "fetch_interval_minutes": 5},
     "private_settings": {...}}

`outreach` and `options` are optional. A `private_settings` copied from a Hull connector imports as
it is: `traits_` prefixes are stripped, and the hidden token settings Hull keeps there are read when
no `outreach` object is given. Other keys Hull keeps (webhook_id, flow control overrides, ...) are
reported as ignored.
"""

from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

from django.db import transaction
from django.utils.text import slugify

from sync.choices import AuthStatus, Direction, Entity
from sync.models import AttributeMapping, Connector

EVENT_NAMES = {
    "bounced_message": "Bounced Message",
    "emails_opt_out": "Emails Opt Out",
    "inbound_call_completed": "Inbound Call Completed",
    "inbound_call_no_answer": "Inbound Call No Answer",
    "inbound_message": "Inbound Message",
    "message_clicked": "Message Clicked",
    "message_opened": "Message Opened",
    "message_opened_sender": "Message Opened Sender",
    "outbound_call_completed": "Outbound Call Completed",
    "outbound_call_no_answer": "Outbound Call No Answer",
    "outbound_message": "Outbound Message",
    "prospect_stage_changed": "Prospect Stage Changed",
    # Beyond the original's twelve: sent from /events and from sequenceState webhooks (issue 8).
    "sequence_state_advanced": "Sequence State Advanced",
    "sequence_state_finished": "Sequence State Finished",
}

MAPPING_SETTINGS = {
    "incoming_user_attributes": (Entity.USER, Direction.INCOMING),
    "outgoing_user_attributes": (Entity.USER, Direction.OUTGOING),
    "incoming_account_attributes": (Entity.ACCOUNT, Direction.INCOMING),
    "outgoing_account_attributes": (Entity.ACCOUNT, Direction.OUTGOING),
}
CLAIM_SETTINGS = {
    "user_claims": ({"email", "external_id"}, None),
    "account_claims": ({"domain", "external_id"}, {"domain", "customId", "name"}),
}
SEGMENT_SETTINGS = ("synchronized_user_segments", "synchronized_account_segments")
BOOLEAN_SETTINGS = ("link_users_in_hull", "link_users_in_service")
FIELD_SETTINGS = ("prospect_outgoing_user_segments", "prospect_outgoing_account_segments", "outgoing_account_segments")
# Kept by Hull inside private_settings; read for tokens, otherwise not ours to import.
HULL_HIDDEN_SETTINGS = {
    "access_token",
    "refresh_token",
    "expires_in",
    "created_at",
    "token_expires_in",
    "token_created_at",
    "webhook_id",
    "service_organization",
    "events_last_fetch_at",
    "array_strategy",
}
DEFAULT_TOKEN_LIFETIME = 7200


class ConnectorImportError(ValueError):
    def __init__(self, field: str, problem: str):
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


def trait_name_normalize(name: str) -> str:
    """`traits_title` → `title`; `account.traits_size` → `account.size` (Hull's library does the same)."""
    name = name.strip()
    if name.startswith("account."):
        return "account." + trait_name_normalize(name[len("account.") :])
    return name[len("traits_") :] if name.startswith("traits_") else name


def connector_export(connector: Connector) -> dict:
    private = {
        "user_claims": connector.user_claims,
        "account_claims": connector.account_claims,
        "synchronized_user_segments": connector.synchronized_user_segments,
        "synchronized_account_segments": connector.synchronized_account_segments,
        "link_users_in_hull": connector.link_users_in_hull,
        "link_users_in_service": connector.link_users_in_service,
        "prospect_outgoing_user_segments": connector.prospect_outgoing_user_segments or None,
        "prospect_outgoing_account_segments": connector.prospect_outgoing_account_segments or None,
        "outgoing_account_segments": connector.outgoing_account_segments or None,
        "events_to_fetch": connector.events_to_fetch,
    }
    for setting, (entity, direction) in MAPPING_SETTINGS.items():
        private[setting] = connector.attribute_mappings(entity, direction)
    data = {
        "name": connector.name,
        "hull": {"id": connector.hull_id, "organization": connector.hull_organization, "secret": connector.hull_secret},
        "options": {"paused": connector.paused, "fetch_interval_minutes": connector.fetch_interval_minutes},
        "private_settings": private,
    }
    if connector.outreach_access_token or connector.outreach_refresh_token:
        expires_at = connector.outreach_token_expires_at
        data["outreach"] = {
            "access_token": connector.outreach_access_token,
            "refresh_token": connector.outreach_refresh_token,
            "expires_in": DEFAULT_TOKEN_LIFETIME,
            "created_at": int(expires_at.timestamp()) - DEFAULT_TOKEN_LIFETIME if expires_at else None,
        }
    return data


def _require(condition: bool, field: str, problem: str) -> None:
    if not condition:
        raise ConnectorImportError(field, problem)


def _string(data: dict, key: str, field: str, *, required: bool = True) -> str:
    value = data.get(key)
    if value is None and not required:
        return ""
    _require(isinstance(value, str) and (value.strip() or not required), field, "must be a non-empty string")
    return value.strip()


def _parse_claims(value, field: str, hull_allowed: set, service_allowed: set | None) -> list[dict]:
    _require(isinstance(value, list) and value, field, "must be a non-empty list of {hull, service}")
    claims = []
    for i, item in enumerate(value):
        where = f"{field}[{i}]"
        _require(isinstance(item, dict), where, "must be an object with hull and service")
        hull = trait_name_normalize(_string(item, "hull", f"{where}.hull"))
        service = _string(item, "service", f"{where}.service")
        _require(hull in hull_allowed, f"{where}.hull", f"must be one of {', '.join(sorted(hull_allowed))}")
        if service_allowed:
            _require(
                service in service_allowed, f"{where}.service", f"must be one of {', '.join(sorted(service_allowed))}"
            )
        claims.append({"hull": hull, "service": service})
    return claims


def _parse_mappings(value, field: str) -> list[dict]:
    if value is None:
        return []
    _require(isinstance(value, list), field, "must be a list of {hull, service}")
    mappings = []
    for i, item in enumerate(value):
        where = f"{field}[{i}]"
        _require(isinstance(item, dict), where, "must be an object with hull and service")
        hull = trait_name_normalize(_string(item, "hull", f"{where}.hull"))
        service = _string(item, "service", f"{where}.service")
        mappings.append({"hull": hull, "service": service})
    return mappings


def _parse_timestamp(value, field: str):
    if value in (None, ""):
        return None
    _require(isinstance(value, (int, float)) and not isinstance(value, bool), field, "must be seconds since epoch")
    # Hull's manifest says millis, the token response gives seconds: accept both.
    seconds = value / 1000 if value > 10**11 else value
    return datetime.fromtimestamp(seconds, tz=dt_timezone.utc)


def _parse_outreach(data, private: dict) -> dict | None:
    if data is None:
        # A private_settings copied from Hull carries the tokens itself.
        if not private.get("access_token") and not private.get("refresh_token"):
            return None
        data = {
            "access_token": private.get("access_token"),
            "refresh_token": private.get("refresh_token"),
            "expires_in": private.get("expires_in", private.get("token_expires_in")),
            "created_at": private.get("created_at", private.get("token_created_at")),
        }
        field = "private_settings"
    else:
        field = "outreach"
        _require(isinstance(data, dict), field, "must be an object")
    access = _string(data, "access_token", f"{field}.access_token", required=False)
    refresh = _string(data, "refresh_token", f"{field}.refresh_token", required=False)
    _require(bool(access or refresh), f"{field}.access_token", "an access_token or a refresh_token is required")
    expires_in = data.get("expires_in") or DEFAULT_TOKEN_LIFETIME
    _require(
        isinstance(expires_in, int) and not isinstance(expires_in, bool) and expires_in > 0,
        f"{field}.expires_in",
        "must be a positive number of seconds",
    )
    created_at = _parse_timestamp(data.get("created_at"), f"{field}.created_at")
    return {
        "outreach_access_token": access,
        "outreach_refresh_token": refresh,
        "outreach_token_expires_at": created_at + timedelta(seconds=expires_in) if created_at else None,
    }


def connector_settings_parse(data) -> tuple[dict, dict[str, list[dict]], list[str]]:
    """Validate a whole document before anything is written. Returns (fields, mappings, ignored keys)."""
    _require(isinstance(data, dict), "(document)", "must be a JSON object")
    name = _string(data, "name", "name")
    _require(slugify(name) == name, "name", "must be a slug (lowercase letters, digits, hyphens)")
    hull = data.get("hull")
    _require(isinstance(hull, dict), "hull", "must be an object with id, organization and secret")
    private = data.get("private_settings", {})
    _require(isinstance(private, dict), "private_settings", "must be an object")

    fields = {
        "name": name,
        "hull_id": _string(hull, "id", "hull.id"),
        "hull_organization": _string(hull, "organization", "hull.organization"),
        "hull_secret": _string(hull, "secret", "hull.secret"),
    }
    for setting, (hull_allowed, service_allowed) in CLAIM_SETTINGS.items():
        if setting in private:
            fields[setting] = _parse_claims(private[setting], f"private_settings.{setting}", hull_allowed, service_allowed)
    for setting in SEGMENT_SETTINGS:
        if setting in private:
            value = private[setting] or []
            _require(
                isinstance(value, list) and all(isinstance(s, str) and s for s in value),
                f"private_settings.{setting}",
                "must be a list of segment ids",
            )
            fields[setting] = value
    for setting in BOOLEAN_SETTINGS:
        if setting in private:
            _require(isinstance(private[setting], bool), f"private_settings.{setting}", "must be true or false")
            fields[setting] = private[setting]
    for setting in FIELD_SETTINGS:
        if setting in private:
            value = private[setting]
            _require(value is None or isinstance(value, str), f"private_settings.{setting}", "must be a field name")
            fields[setting] = (value or "").strip()
    if "events_to_fetch" in private:
        value = private["events_to_fetch"] or []
        _require(isinstance(value, list), "private_settings.events_to_fetch", "must be a list of event names")
        for i, event in enumerate(value):
            _require(
                event in EVENT_NAMES,
                f"private_settings.events_to_fetch[{i}]",
                f"unknown event {event!r}; known: {', '.join(EVENT_NAMES)}",
            )
        fields["events_to_fetch"] = value

    options = data.get("options", {})
    _require(isinstance(options, dict), "options", "must be an object")
    if "paused" in options:
        _require(isinstance(options["paused"], bool), "options.paused", "must be true or false")
        fields["paused"] = options["paused"]
    if "fetch_interval_minutes" in options:
        minutes = options["fetch_interval_minutes"]
        _require(
            isinstance(minutes, int) and not isinstance(minutes, bool) and minutes >= 0,
            "options.fetch_interval_minutes",
            "must be a whole number of minutes (0 turns it off)",
        )
        fields["fetch_interval_minutes"] = minutes

    tokens = _parse_outreach(data.get("outreach"), private)
    if tokens:
        fields.update(tokens)
        fields["outreach_auth_status"] = AuthStatus.OK if tokens["outreach_access_token"] else AuthStatus.NEEDS_REAUTH

    mappings = {}
    for setting in MAPPING_SETTINGS:
        if setting in private:
            mappings[setting] = _parse_mappings(private[setting], f"private_settings.{setting}")
    known = set(CLAIM_SETTINGS) | set(SEGMENT_SETTINGS) | set(BOOLEAN_SETTINGS) | set(FIELD_SETTINGS)
    known |= {"events_to_fetch"} | set(MAPPING_SETTINGS)
    ignored = sorted(k for k in private if k not in known and k not in {"access_token", "refresh_token"})
    unknown_top = sorted(set(data) - {"name", "hull", "outreach", "options", "private_settings"})
    _require(not unknown_top, unknown_top[0] if unknown_top else "", "unknown top-level key")
    return fields, mappings, ignored


@transaction.atomic
def connector_import(data) -> tuple[Connector, bool, list[str]]:
    """Create or update the connector named in `data`. All or nothing."""
    fields, mappings, ignored = connector_settings_parse(data)
    connector = Connector.objects.select_for_update().filter(name=fields["name"]).first()
    created = connector is None
    if created:
        other = Connector.objects.filter(hull_id=fields["hull_id"]).first()
        _require(other is None, "hull.id", f"already used by connector {other.name!r}" if other else "")
        connector = Connector(**fields)
        connector.save()
        if "outgoing_account_attributes" not in mappings:
            mappings["outgoing_account_attributes"] = [{"hull": "name", "service": "name"}]
    else:
        other = Connector.objects.filter(hull_id=fields["hull_id"]).exclude(pk=connector.pk).first()
        _require(other is None, "hull.id", f"already used by connector {other.name!r}" if other else "")
        for key, value in fields.items():
            setattr(connector, key, value)
        connector.save()
    for setting, rows in mappings.items():
        entity, direction = MAPPING_SETTINGS[setting]
        connector.mappings.filter(entity=entity, direction=direction).delete()
        AttributeMapping.objects.bulk_create(
            AttributeMapping(
                connector=connector, entity=entity, direction=direction, hull=row["hull"], service=row["service"], position=i
            )
            for i, row in enumerate(rows)
        )
    return connector, created, ignored
