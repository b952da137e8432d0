"""Endpoints Hull and Outreach call. Filled in by the Hull protocol and webhook work."""

urlpatterns = []
