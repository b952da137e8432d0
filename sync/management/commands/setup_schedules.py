from django.core.management.base import BaseCommand

from sync.scheduling import SCHEDULES, schedules_ensure


class Command(BaseCommand):
    help = "Create or update hullreach's django-q schedules (idempotent; run on every deploy)."

    def handle(self, *args, **options):
        schedules_ensure()
        self.stdout.write(f"{len(SCHEDULES)} schedules in place.")
