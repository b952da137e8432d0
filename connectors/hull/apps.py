from django.apps import AppConfig


class HullConfig(AppConfig):
    name = "connectors.hull"
    label = "hull"
    verbose_name = "Hull"
