"""The sandbox as a requests transport adapter: OutreachClient talks to it in-process, no sockets."""

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from connectors.outreach.sandbox.state import OutreachSandbox, SandboxTimeout


class SandboxAdapter(BaseAdapter):
    def __init__(self, sandbox: OutreachSandbox):
        super().__init__()
        self.sandbox = sandbox

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        try:
            status, headers, body = self.sandbox.handle(request.method, request.url, dict(request.headers), request.body)
        except SandboxTimeout as exc:
            raise requests.ReadTimeout(f"sandbox timeout: {exc}", request=request) from None
        response = requests.Response()
        response.status_code = status
        response.headers = CaseInsensitiveDict(headers)
        response._content = body
        response.encoding = "utf-8"
        response.url = request.url
        response.request = request
        response.reason = {200: "OK", 201: "Created", 204: "No Content", 302: "Found", 400: "Bad Request",
                           401: "Unauthorized", 404: "Not Found", 415: "Unsupported Media Type",
                           422: "Unprocessable Entity", 429: "Too Many Requests"}.get(status, "")
        return response

    def close(self):
        pass
