"""A URLconf with the Outreach sandbox mounted, as when SANDBOX_ENABLED is on."""

from django.urls import include, path

urlpatterns = [path("sandbox/outreach/", include("connectors.outreach.sandbox.urls"))]
