"""The one HTTP seam to Hull: every request hullreach makes to Hull goes through `hull_session()`.

Tests and the demo route Hull traffic to the in-process sandbox by mounting a requests transport
adapter in `TRANSPORTS` (URL prefix -> adapter); nothing else in the code knows the difference.
"""

import json
from collections.abc import Iterator

import requests
from django.conf import settings

# URL prefix -> requests adapter. Empty in production; the `hull` test fixture fills it.
TRANSPORTS: dict[str, requests.adapters.BaseAdapter] = {}

USER_AGENT = "hullreach"


def hull_timeout() -> tuple[float, float]:
    return (
        settings.HULL_CONNECT_TIMEOUT,
        settings.HULL_READ_TIMEOUT,
    )


def hull_session() -> requests.Session:
    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    for prefix, adapter in TRANSPORTS.items():
        session.mount(prefix, adapter)
    return session


class BatchFileError(Exception):
    """The export file could not be downloaded (status, network). Transient: the job runs again."""


def batch_file_lines(url: str, *, chunk_bytes: int = 64 * 1024) -> Iterator[tuple[int, dict | None, str]]:
    """Stream a JSON-lines export: yields (line number from 0, object or None, error) in order.

    Constant memory: the body is read `chunk_bytes` at a time and never held whole. Blank lines are
    skipped without using a number; a line that is not a JSON object yields (n, None, reason).
    """
    session = hull_session()
    try:
        # Reference: https://www.hull.io/docs/reference/connectors/ (batch: "url" of a JSON-lines extract)
        response = session.get(url, stream=True, timeout=hull_timeout())
    except requests.RequestException as exc:
        raise BatchFileError(f"could not download the export file: {type(exc).__name__}") from exc
    with response:
        if response.status_code != 200:
            raise BatchFileError(f"the export file answered HTTP {response.status_code}")
        number = 0
        try:
            for raw in response.iter_lines(chunk_size=chunk_bytes):
                if not raw.strip():
                    continue
                try:
                    value = json.loads(raw)
                except ValueError as exc:
                    yield number, None, f"line {number + 1}: invalid JSON ({exc.msg})"
                else:
                    if isinstance(value, dict):
                        yield number, value, ""
                    else:
                        yield number, None, f"line {number + 1}: not a JSON object"
                number += 1
        except requests.RequestException as exc:
            raise BatchFileError(f"the export file download broke off: {type(exc).__name__}") from exc
