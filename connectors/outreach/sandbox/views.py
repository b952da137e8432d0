"""The sandbox over HTTP at /sandbox/outreach/ (demo and benchmarks): one process-wide org."""

import threading

import requests
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt

from connectors.outreach.sandbox.state import OutreachSandbox, SandboxTimeout

_sandbox = None
_sandbox_lock = threading.Lock()
# Called once with the new singleton before it serves anything (the demo seeds it in the web process).
_setup_hooks: list = []


def sandbox_setup_register(hook) -> None:
    """`hook(sandbox)` runs when the singleton is made; if it raises, the next use tries again."""
    if hook not in _setup_hooks:
        _setup_hooks.append(hook)


def http_deliver(url: str, headers: dict, body: bytes) -> int:
    """Deliver a webhook over real HTTP, as Outreach does (5 s timeout, no redirects)."""
    # Reference: https://developers.outreach.io/api/webhooks/
    response = requests.post(url, data=body, headers=headers, timeout=5, allow_redirects=False)
    return response.status_code


def sandbox_default() -> OutreachSandbox:
    """The singleton served over HTTP; it delivers webhooks over HTTP."""
    global _sandbox
    with _sandbox_lock:
        if _sandbox is None:
            sandbox = OutreachSandbox(deliver=http_deliver)
            for hook in _setup_hooks:
                hook(sandbox)
            _sandbox = sandbox
        return _sandbox


def sandbox_default_reset() -> None:
    """Forget the singleton (tests): the next use makes and sets up a new one."""
    global _sandbox
    with _sandbox_lock:
        _sandbox = None


@csrf_exempt
def sandbox_endpoint(request, path=""):
    headers = {key: value for key, value in request.headers.items()}
    try:
        status, out_headers, body = sandbox_default().handle(
            request.method, request.build_absolute_uri(), headers, request.body
        )
    except SandboxTimeout:
        return HttpResponse("Gateway Timeout", status=504, content_type="text/plain")
    response = HttpResponse(body, status=status, content_type=out_headers.pop("Content-Type", "text/plain"))
    for key, value in out_headers.items():
        response[key] = value
    return response
