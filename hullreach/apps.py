from django.apps import AppConfig


class HullreachConfig(AppConfig):
    name = "hullreach"

    def ready(self):
        from hullreach import checks  # noqa: F401  (registers the system checks)
