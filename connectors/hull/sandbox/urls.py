"""The Hull sandbox over HTTP (firehose), mounted at /sandbox/hull/ when SANDBOX_ENABLED."""

urlpatterns = []
