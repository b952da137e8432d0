"""Staff-facing Outreach views (OAuth connect and callback), under /outreach/."""

from django.urls import path

from connectors.outreach import views

app_name = "outreach"
urlpatterns = [
    path("connect/<int:connector_id>", views.oauth_start, name="oauth-start"),
    path("oauth/callback", views.oauth_callback, name="oauth-callback"),
]
