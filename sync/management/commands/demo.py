import os

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from sync.demo import DEMO_NAME, demo_environment_shell, demo_setup


class Command(BaseCommand):
    help = (
        "Set up the demo: the Hull sandbox seeded, a connector 'demo' wired to both sandboxes (the Outreach "
        "sandbox is seeded by the web process when it first serves it). Idempotent. Needs SANDBOX_ENABLED."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--print-env",
            action="store_true",
            help="Print `export` lines pointing Outreach and Hull at the sandboxes under PUBLIC_URL, and stop.",
        )

    def handle(self, *args, print_env=False, **options):
        if print_env:
            self.stdout.write(demo_environment_shell(public_url=settings.PUBLIC_URL, environ=dict(os.environ)))
            return
        if not settings.SANDBOX_ENABLED:
            raise CommandError("The demo needs the sandboxes: set SANDBOX_ENABLED=True (scripts/start does).")
        result = demo_setup(public_url=settings.PUBLIC_URL)
        verb = "Created" if result.created else "Updated"
        self.stdout.write(
            f"{verb} connector '{DEMO_NAME}' (id {result.connector.pk}); Hull sandbox: {result.hull_users} users, "
            f"{result.hull_accounts} accounts ({len(result.overlapping_emails)} users are also Outreach prospects)."
        )
        self.stdout.write(f"Connector page: {settings.PUBLIC_URL}/admin/sync/connector/{result.connector.pk}/change/")
