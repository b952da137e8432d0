"""Where other parts of hullreach plug into the operator console, without the console importing them.

- `connector_tool_register(ConnectorTool(...))`: a button on the connector page (and, with
  section="connect", a link in its "Connect with Outreach" section). For the Outreach side's
  Connect / Re-authorize, Test connection and Re-register webhook views.
- `record_counter_set(fn)`: `fn(connector=..., kind=JobKind...) -> int | None`, how many records a
  fetch would read (Outreach reports it in `meta.count`); the Fetch all confirmation uses it.
- `budget_reader_set(fn)`: `fn(connector=...) -> (used, limit) | None`, the Outreach requests used
  in the current hour; the dashboards show it.
Until a provider is registered the console says the number is unknown; it never invents one.
"""

from dataclasses import dataclass
from typing import Callable

from sync.models import Connector


@dataclass(frozen=True)
class ConnectorTool:
    label: str
    url: Callable[[Connector], str | None]  # None hides the tool for that connector
    section: str = "tools"  # "tools" (top of the page) or "connect" (Connect with Outreach)
    help: str = ""


connector_tools: list[ConnectorTool] = []
_record_counter: Callable | None = None
_connector_cleanup: Callable | None = None
_budget_reader: Callable | None = None


def connector_tool_register(tool: ConnectorTool) -> None:
    if all(t.label != tool.label for t in connector_tools):
        connector_tools.append(tool)


def connector_tools_for(connector: Connector, *, section: str) -> list[tuple[str, str, str]]:
    """(label, url, help) of the registered tools that apply to this connector."""
    found = []
    for tool in connector_tools:
        if tool.section != section:
            continue
        url = tool.url(connector)
        if url:
            found.append((tool.label, url, tool.help))
    return found


def record_counter_set(fn: Callable | None) -> None:
    global _record_counter
    _record_counter = fn


def budget_reader_set(fn: Callable | None) -> None:
    global _budget_reader
    _budget_reader = fn


def record_count(*, connector: Connector, kind: str) -> int | None:
    if _record_counter is None:
        return None
    try:
        return _record_counter(connector=connector, kind=kind)
    except Exception:  # a failing count must not hide the confirmation page; it shows "unknown"
        return None


def budget_used(*, connector: Connector) -> tuple[int, int] | None:
    if _budget_reader is None:
        return None
    try:
        return _budget_reader(connector=connector)
    except Exception:
        return None


def connector_cleanup_set(fn: Callable | None) -> None:
    """`fn(connector=...) -> str`: what to undo outside hullreach before a connector is deleted."""
    global _connector_cleanup
    _connector_cleanup = fn


def connector_cleanup(*, connector: Connector) -> str:
    if _connector_cleanup is None:
        return ""
    return _connector_cleanup(connector=connector)
