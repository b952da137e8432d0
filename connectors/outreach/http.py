"""The one HTTP seam to Outreach: a requests session with timeouts and the JSON:API media type.

Tests and the benchmarks route it elsewhere with `transport_install(prefix, adapter)`: every session
made afterwards mounts that adapter (the in-process sandbox), so no socket is ever opened.
"""

import threading

import requests
from django.conf import settings

JSONAPI = "application/vnd.api+json"
USER_AGENT = "hullreach (+https://github.com/hullreach)"

_transports: dict[str, requests.adapters.BaseAdapter] = {}
_transports_lock = threading.Lock()


def transport_install(prefix: str, adapter: requests.adapters.BaseAdapter) -> None:
    with _transports_lock:
        _transports[prefix] = adapter


def transport_remove(prefix: str) -> None:
    with _transports_lock:
        _transports.pop(prefix, None)


def session_create() -> requests.Session:
    session = requests.Session()
    session.headers.update({"Accept": JSONAPI, "Content-Type": JSONAPI, "User-Agent": USER_AGENT})
    with _transports_lock:
        for prefix, adapter in _transports.items():
            session.mount(prefix, adapter)
    return session


def timeouts() -> tuple[float, float]:
    """(connect, read) seconds for every call to Outreach."""
    return (settings.OUTREACH_CONNECT_TIMEOUT, settings.OUTREACH_READ_TIMEOUT)


def api_url(path: str) -> str:
    return f"{settings.OUTREACH_API_URL}/{path.lstrip('/')}"


def oauth_url(path: str) -> str:
    return f"{settings.OUTREACH_OAUTH_URL}/{path.lstrip('/')}"
