"""The Outreach sandbox over HTTP, mounted at /sandbox/outreach/ when SANDBOX_ENABLED."""

urlpatterns = []
