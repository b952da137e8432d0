"""The sandbox over HTTP: the firehose Hull's client posts to, and export files served for /batch."""

import json

from django.http import Http404, JsonResponse, StreamingHttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from connectors.hull.sandbox.firehose import firehose_receive
from connectors.hull.sandbox.models import Export
from connectors.hull.sandbox.notifier import export_lines


@csrf_exempt
@require_POST
def firehose(request):
    try:
        payload = json.loads(request.body or b"null")
    except ValueError:
        return JsonResponse({"error": "body is not JSON"}, status=400)
    result = firehose_receive(
        app_id=request.headers.get("Hull-App-Id", ""),
        organization_host=request.headers.get("Hull-Organization", ""),
        payload=payload,
    )
    return JsonResponse(result.body, status=result.status)


@require_GET
def export_file(request, token):
    export = Export.objects.filter(token=token).select_related("organization").first()
    if export is None:
        raise Http404("no such export")
    return StreamingHttpResponse(export_lines(export), content_type="application/x-ndjson")
