"""Endpoints Hull calls, at the same paths as Hull's hosted connector."""

from django.urls import path

from sync.api import views

urlpatterns = [
    path("smart-notifier", views.smart_notifier, name="hull-smart-notifier"),
    path("batch", views.batch, name="hull-batch"),
    path("batch-accounts", views.batch_accounts, name="hull-batch-accounts"),
    path("status", views.status, name="hull-status"),
]
