"""Route requests made through `connectors.hull.http.hull_session()` to the sandbox, in-process.

Mounted by the `hull` test fixture: the firehose client and the /batch downloader run their real
wire code (headers, JSON, status handling) against the sandbox's real HTTP views, with no socket.
"""

import io
from urllib.parse import urlsplit

import requests
from django.http import Http404, HttpResponse
from django.test import RequestFactory

from connectors.hull.sandbox import views


class _StreamingBody(io.RawIOBase):
    """A file-like view over an iterator of byte chunks, read lazily (the body is never whole)."""

    def __init__(self, chunks):
        self._chunks = iter(chunks)
        self._buffer = b""

    def readable(self):
        return True

    def readinto(self, target):
        while not self._buffer:
            try:
                self._buffer = next(self._chunks)
            except StopIteration:
                return 0
        size = min(len(target), len(self._buffer))
        target[:size] = self._buffer[:size]
        self._buffer = self._buffer[size:]
        return size

    def stream(self, amt=65536, decode_content=None):
        while True:
            data = self.read(amt)
            if not data:
                return
            yield data


class SandboxAdapter(requests.adapters.BaseAdapter):
    """Firehose posts (any path ending in /firehose, or a firehose.* host) and /exports/<token>.json."""

    def __init__(self, extra_routes=None):
        super().__init__()
        self.factory = RequestFactory()
        self.requests: list[requests.PreparedRequest] = []
        self.extra_routes = extra_routes or {}

    def _view(self, url: str):
        parts = urlsplit(url)
        for prefix, view in self.extra_routes.items():
            if url.startswith(prefix):
                return view, {}
        if "/exports/" in parts.path and parts.path.endswith(".json"):
            token = parts.path.rsplit("/exports/", 1)[1][: -len(".json")]
            return views.export_file, {"token": token}
        if parts.hostname and parts.hostname.startswith("firehose.") or parts.path.rstrip("/").endswith("/firehose"):
            return views.firehose, {}
        raise requests.ConnectionError(f"the Hull sandbox has no route for {url}")

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        self.requests.append(request)
        view, kwargs = self._view(request.url)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("content-length",)}
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode()
        django_request = self.factory.generic(
            request.method, urlsplit(request.url).path or "/", data=body,
            content_type=headers.pop("Content-Type", "application/octet-stream"), headers=headers,
        )
        try:
            answer = view(django_request, **kwargs)
        except Http404 as exc:
            answer = HttpResponse(str(exc), status=404)
        response = requests.Response()
        response.status_code = answer.status_code
        response.headers.update({k: v for k, v in answer.items()})
        response.url = request.url
        response.request = request
        response.encoding = "utf-8"
        if answer.streaming:
            response.raw = _StreamingBody(answer.streaming_content)
        else:
            response.raw = _StreamingBody([answer.content])
        return response

    def close(self):
        pass
