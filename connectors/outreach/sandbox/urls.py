"""The Outreach sandbox over HTTP, mounted at /sandbox/outreach/ when SANDBOX_ENABLED.

Point OUTREACH_API_URL at <base>/sandbox/outreach/api/v2 and OUTREACH_OAUTH_URL at
<base>/sandbox/outreach/oauth.
"""

from django.urls import re_path

from connectors.outreach.sandbox.views import sandbox_endpoint

urlpatterns = [re_path(r"^(?P<path>.*)$", sandbox_endpoint, name="outreach-sandbox")]
