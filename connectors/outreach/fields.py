"""The prospect and account fields of Outreach API v2, from the official OpenAPI document.

`openapi_fields.json` was extracted from the OpenAPI subset (components/schemas/prospect and
account): type, format, maxLength and the readonly/filterable/sortable badges of each attribute.
"""

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

CATALOG_FILE = Path(__file__).with_name("openapi_fields.json")

# Server-maintained although not badged read-only: Outreach sets it on API-created accounts.
EXTRA_READ_ONLY = {"account": {"externalSource"}}


@dataclass(frozen=True)
class OutreachField:
    name: str
    type: str  # string | integer | number | boolean | array | object
    format: str | None
    max_length: int | None
    read_only: bool
    filterable: bool
    sortable: bool

    @property
    def writable(self) -> bool:
        return not self.read_only

    @property
    def is_array(self) -> bool:
        return self.type == "array"


@cache
def fields_catalog(resource: str) -> dict[str, OutreachField]:
    """{name: OutreachField} for "prospect" or "account"."""
    raw = json.loads(CATALOG_FILE.read_text())[resource]
    extra = EXTRA_READ_ONLY.get(resource, set())
    return {
        name: OutreachField(
            name=name,
            type=spec.get("type") or "string",
            format=spec.get("format"),
            max_length=spec.get("maxLength"),
            read_only=bool(spec.get("readOnly")) or name in extra,
            filterable=bool(spec.get("filterable")),
            sortable=bool(spec.get("sortable")),
        )
        for name, spec in raw.items()
    }


def fields_writable(resource: str) -> list[str]:
    return sorted(name for name, f in fields_catalog(resource).items() if f.writable)


def fields_read_only(resource: str) -> list[str]:
    return sorted(name for name, f in fields_catalog(resource).items() if f.read_only)


def fields_array(resource: str) -> list[str]:
    """Attributes whose value is a list of strings (PATCH replaces them whole)."""
    return sorted(
        name for name, f in fields_catalog(resource).items() if f.is_array and f.writable
    )


PROSPECT_ARRAY_FIELDS = ("emails", "homePhones", "mobilePhones", "otherPhones", "tags", "voipPhones", "workPhones")
