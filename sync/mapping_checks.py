"""Which attribute mappings cannot work, and why: refused (error) or warned about (warning)."""

from dataclasses import dataclass

from sync.outreach_catalog import outreach_fields


@dataclass(frozen=True)
class MappingProblem:
    level: str  # "error" refuses the save, "warning" is shown but saved
    reason: str
    index: int | None = None  # the row at fault, when there is one
    field: str = "service"


def mapping_problems(*, rows: list[dict]) -> list[MappingProblem]:
    """`rows` are `{entity, direction, hull, service}` in the order staff see them."""
    problems = []
    catalogs = {entity: {f.name: f for f in outreach_fields(entity=entity)} for entity in ("user", "account")}
    for i, row in enumerate(rows):
        catalog = catalogs.get(row["entity"], {})
        field = catalog.get(row["service"])
        what = "prospect" if row["entity"] == "user" else "account"
        if row["direction"] == "outgoing" and field is not None and field.read_only:
            problems.append(
                MappingProblem(
                    "error",
                    f"The Outreach {what} field “{row['service']}” is read-only: Outreach would refuse or ignore "
                    f"the value. Map it from Outreach to Hull only.",
                    i,
                )
            )
        elif catalog and field is None and not row["service"].startswith("custom"):
            problems.append(
                MappingProblem(
                    "warning",
                    f"“{row['service']}” is not a known Outreach {what} field; check its spelling.",
                    i,
                )
            )
    for entity in ("user", "account"):
        incoming = {r["hull"] for r in rows if r["entity"] == entity and r["direction"] == "incoming"}
        for i, row in enumerate(rows):
            if row["entity"] == entity and row["direction"] == "outgoing" and row["hull"] in incoming:
                problems.append(
                    MappingProblem(
                        "warning",
                        f"The Hull attribute “{row['hull']}” is mapped both ways: a change can echo back and forth "
                        f"(loop risk). Keep incoming data in its own attribute (e.g. outreach/…).",
                        i,
                        "hull",
                    )
                )
    if not any(r["entity"] == "account" and r["direction"] == "outgoing" and r["service"] == "name" for r in rows):
        problems.append(
            MappingProblem(
                "warning",
                "No outgoing account mapping to the Outreach field “name”: Outreach rejects accounts without a "
                "name, so accounts sent to Outreach will fail.",
            )
        )
    return problems
