from django.apps import AppConfig


class HullSandboxConfig(AppConfig):
    name = "connectors.hull.sandbox"
    label = "hull_sandbox"
    verbose_name = "Hull sandbox"
