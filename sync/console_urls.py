"""The console's Outreach tools (and the demo's Outreach sandbox page), under /console/, staff only."""

from django.contrib import admin
from django.urls import path

from sync import console_views, demo_views

wrap = admin.site.admin_view  # staff only; anonymous staff are sent to sign in

app_name = "console"
urlpatterns = [
    path("connectors/<int:pk>/test-connection/", wrap(console_views.connection_test_view), name="connection-test"),
    path("connectors/<int:pk>/webhook/", wrap(console_views.webhook_reregister_view), name="webhook-reregister"),
]
urlpatterns += [  # answer 404 unless SANDBOX_ENABLED
    path("outreach-sandbox/prospects/", wrap(demo_views.sandbox_prospects_view), name="sandbox-prospects"),
    path("outreach-sandbox/prospects/<int:prospect_id>/", wrap(demo_views.sandbox_prospect_view), name="sandbox-prospect"),
]
