"""The Hull sandbox over HTTP, mounted at /sandbox/hull/ when SANDBOX_ENABLED.

Point HULL_FIREHOSE_URL at <public url>/sandbox/hull/firehose to send every connector's writes here.
"""

from django.urls import path

from connectors.hull.sandbox import views

app_name = "hull_sandbox"
urlpatterns = [
    path("firehose", views.firehose, name="firehose"),
    path("exports/<str:token>.json", views.export_file, name="export"),
]
