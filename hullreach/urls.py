from django.conf import settings
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import include, path

from sync.api.outreach_webhooks import OutreachWebhookApi


def admin_login(request, extra_context=None):
    """The admin has no sign-in form of its own: staff sign in through allauth (with MFA)."""
    if request.user.is_authenticated and not request.user.is_staff:
        raise PermissionDenied("This account has no staff access.")
    return redirect_to_login(request.GET.get("next", "/admin/"), settings.LOGIN_URL)


def healthz(request):
    return JsonResponse({"status": "ok"})


admin.site.login = admin_login
admin.site.site_header = "hullreach"
admin.site.site_title = "hullreach"
admin.site.index_title = "Operator console"

urlpatterns = [
    path("", lambda request: redirect("admin:index")),
    path("healthz", healthz),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("outreach/", include("connectors.outreach.urls")),
    path("console/", include("sync.console_urls")),
    path("webhooks/outreach/<str:token>", OutreachWebhookApi.as_view(), name="outreach-webhook"),
    path("", include("sync.api.urls")),
]

if settings.SANDBOX_ENABLED:
    urlpatterns += [
        path("sandbox/outreach/", include("connectors.outreach.sandbox.urls")),
        path("sandbox/hull/", include("connectors.hull.sandbox.urls")),
    ]
