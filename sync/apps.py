from django.apps import AppConfig


class SyncConfig(AppConfig):
    name = "sync"
    verbose_name = "Sync"

    def ready(self):
        from sync.console_wiring import console_wire

        console_wire()
