"""The catalog of Outreach prospect and account fields, for the console's mapping pickers.

The Outreach connector owns the catalog (`connectors.outreach.fields`); until it exists this reads
the same OpenAPI subset it is built from, so the console works either way.
"""

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.conf import settings

OPENAPI_SUBSET = Path(settings.BASE_DIR).parent / "shared" / "reference" / "outreach-openapi-subset.json"
READ_ONLY_BADGE = "badges/readonly.svg"
ENTITY_RESOURCES = {"user": "prospect", "account": "account"}


@dataclass(frozen=True)
class OutreachField:
    name: str
    label: str
    read_only: bool


def _label(name: str) -> str:
    out = "".join(" " + c.lower() if c.isupper() else c for c in name).strip()
    return out[:1].upper() + out[1:]


def _from_connector_module(resource: str) -> list[OutreachField] | None:
    """`connectors.outreach.fields.fields_catalog(resource) -> {name: field with .read_only}`, if present."""
    try:
        from connectors.outreach.fields import fields_catalog
    except ImportError:
        return None
    try:
        catalog = fields_catalog(resource)
    except (KeyError, OSError, ValueError):
        return None
    return [
        OutreachField(name=name, label=getattr(field, "label", None) or _label(name), read_only=bool(field.read_only))
        for name, field in catalog.items()
    ]


@lru_cache(maxsize=4)
def _from_openapi(resource: str) -> tuple[OutreachField, ...]:
    try:
        spec = json.loads(OPENAPI_SUBSET.read_text())
    except (OSError, ValueError):
        return ()
    properties = spec["components"]["schemas"][resource]["properties"]
    return tuple(
        OutreachField(
            name=name,
            label=_label(name),
            read_only=READ_ONLY_BADGE in (schema.get("description") or "") or bool(schema.get("readOnly")),
        )
        for name, schema in properties.items()
    )


def outreach_fields(*, entity: str) -> list[OutreachField]:
    """Prospect fields for `user`, account fields for `account`, each marked read-only or writable."""
    resource = ENTITY_RESOURCES[entity]
    fields = _from_connector_module(resource)
    if fields is None:
        fields = list(_from_openapi(resource))
    return fields


def outreach_field_source() -> str:
    """Where the catalog came from, for the report and the page footer."""
    return "connectors.outreach.fields" if _from_connector_module("prospect") is not None else "OpenAPI subset"
