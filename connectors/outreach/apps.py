from django.apps import AppConfig


class OutreachConfig(AppConfig):
    name = "connectors.outreach"
    label = "outreach"
    verbose_name = "Outreach"
