"""The demo's window into the in-memory Outreach sandbox (staff only, SANDBOX_ENABLED only).

Staff list and edit sandbox prospects as a person would in Outreach's UI: a save changes the record and
Outreach's signed webhook is delivered at once to /webhooks/outreach/<token>, over HTTP. A small form
makes Outreach fail the next requests, to see an error in the console and re-run the job.
"""

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from connectors.outreach.sandbox import views as sandbox_views

PAGE_SIZE = 50
EDITABLE = ("firstName", "lastName", "title", "addressCity")


def _staff(request) -> None:
    if not settings.SANDBOX_ENABLED:
        raise Http404("the sandboxes are off (SANDBOX_ENABLED)")
    if not request.user.has_perm("sync.change_connector"):
        raise PermissionDenied


def _context(request, title: str, **extra) -> dict:
    return {**admin.site.each_context(request), "title": title, **extra}


def sandbox_prospects_view(request):
    _staff(request)
    sandbox = sandbox_views.sandbox_default()
    if request.method == "POST":
        return _fault_add(request, sandbox)
    query = request.GET.get("q", "").strip().lower()
    with sandbox.lock:
        prospects = sandbox.all("prospect")
        if query:
            prospects = [
                p for p in prospects
                if query in " ".join([*(p["attributes"].get("emails") or []), p["attributes"].get("name") or ""]).lower()
            ]
        stages = {s["id"]: s["attributes"]["name"] for s in sandbox.all("stage")}
        deliveries = list(sandbox.deliveries[-10:])[::-1]
        faults = [f for f in sandbox.faults if f.times is None or f.times > 0]
    try:
        page = max(1, int(request.GET.get("page", 1)))
    except ValueError:
        page = 1
    rows = [
        {"id": p["id"], "name": p["attributes"].get("name"), "email": (p["attributes"].get("emails") or [""])[0],
         "title": p["attributes"].get("title"), "stage": stages.get(p["relationships"].get("stage")),
         "updated": p["attributes"].get("updatedAt")}
        for p in prospects[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
    ]
    return TemplateResponse(
        request,
        "console/sandbox_prospects.html",
        _context(request, "Outreach sandbox: prospects", rows=rows, query=query, page=page, total=len(prospects),
                 has_next=page * PAGE_SIZE < len(prospects), deliveries=deliveries, faults=faults),
    )


def _fault_add(request, sandbox):
    if request.POST.get("clear"):
        sandbox.faults_clear()
        messages.success(request, "Outreach answers normally again.")
    else:
        try:
            status = int(request.POST.get("status", "500"))
            times = max(1, min(100, int(request.POST.get("times", "1"))))
        except ValueError:
            messages.error(request, "Status and count must be numbers.")
            return HttpResponseRedirect(request.path)
        path = request.POST.get("path", "/prospects").strip() or "/prospects"
        method = request.POST.get("method") or None
        sandbox.fault_add(path, method=method, status=status, times=times)
        messages.warning(request, f"Outreach will answer {status} to the next {times} {method or 'any'} request(s) to {path}.")
    return HttpResponseRedirect(request.path)


def sandbox_prospect_view(request, prospect_id: int):
    _staff(request)
    sandbox = sandbox_views.sandbox_default()
    record = sandbox.get("prospect", prospect_id)
    if record is None:
        raise Http404("no such prospect in the Outreach sandbox")
    stages = sorted(((s["id"], s["attributes"]["name"]) for s in sandbox.all("stage")), key=lambda s: s[0])
    if request.method == "POST":
        attributes = {name: request.POST.get(name, "").strip() or None for name in EDITABLE}
        relationships = {}
        if request.POST.get("stage"):
            relationships["stage"] = int(request.POST["stage"])
        before = len(sandbox.deliveries)
        sandbox.change("prospect", prospect_id, attributes, relationships)  # delivers the webhooks now
        sent = sandbox.deliveries[before:]
        if sent:
            answers = ", ".join(f"{d.event_name} → {d.status}" for d in sent)
            messages.success(request, f"Saved. Outreach sent {len(sent)} webhook(s): {answers}.")
        else:
            messages.info(request, "Nothing changed, so Outreach sent no webhook.")
        return HttpResponseRedirect(reverse("console:sandbox-prospect", args=[prospect_id]))
    attributes = record["attributes"]
    return TemplateResponse(
        request,
        "console/sandbox_prospect.html",
        _context(request, f"Outreach sandbox: prospect {prospect_id}", prospect=record, stages=stages,
                 fields=[(name, attributes.get(name) or "") for name in EDITABLE],
                 email=(attributes.get("emails") or [""])[0], stage=record["relationships"].get("stage")),
    )
