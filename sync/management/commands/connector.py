import json
import sys

from django.core.management.base import BaseCommand, CommandError

from sync.choices import JobKind
from sync.jobs import job_create, job_run
from sync.models import Connector
from sync.settings_io import ConnectorImportError, connector_export, connector_import

FETCH_KINDS = {
    "accounts": JobKind.FETCH_ACCOUNTS,
    "prospects": JobKind.FETCH_PROSPECTS,
    "recent": JobKind.FETCH_RECENT,
    "events": JobKind.FETCH_EVENTS,
}


def _carries_tokens(data) -> bool:
    private = data.get("private_settings") or {}
    return bool(data.get("outreach") or private.get("access_token") or private.get("refresh_token"))


class Command(BaseCommand):
    help = "Export, import and fetch connectors: configuration as code."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="Print a connector as JSON.")
        export.add_argument("name")
        imp = sub.add_parser("import", help="Create or update a connector from a JSON file ('-' for stdin).")
        imp.add_argument("file")
        fetch = sub.add_parser("fetch", help="Fetch from Outreach into Hull (all accounts, then all prospects).")
        fetch.add_argument("name")
        only = fetch.add_mutually_exclusive_group()
        for option in FETCH_KINDS:
            only.add_argument(f"--{option}", action="store_true", help=f"Only {option}.")
        fetch.add_argument("--enqueue", action="store_true", help="Hand the job to the workers instead of running it here.")

    def handle(self, *args, action, **options):
        return getattr(self, f"handle_{action}")(**options)

    def handle_export(self, name, **options):
        connector = self._connector(name)
        self.stdout.write(json.dumps(connector_export(connector), indent=2, sort_keys=True))

    def handle_import(self, file, **options):
        try:
            raw = sys.stdin.read() if file == "-" else open(file, encoding="utf-8").read()
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc}") from exc
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise CommandError(f"{file} is not valid JSON: {exc}") from exc
        try:
            connector, created, ignored = connector_import(data)
        except ConnectorImportError as exc:
            raise CommandError(f"invalid connector file, nothing changed: {exc}") from exc
        verb = "Created" if created else "Updated"
        self.stdout.write(self.style.SUCCESS(f"{verb} connector {connector.name} (id {connector.pk})."))
        if _carries_tokens(data):
            # After the import's transaction: a provisioning failure is reported, the import stands.
            from sync.console_outreach import connector_import_provision

            problem = connector_import_provision(connector=connector)
            if problem:
                self.stderr.write(self.style.WARNING(f"Imported, but {problem}."))
        if ignored:
            self.stdout.write(f"Ignored Hull-only settings: {', '.join(ignored)}")

    def handle_fetch(self, name, enqueue=False, **options):
        connector = self._connector(name)
        kind = next((k for option, k in FETCH_KINDS.items() if options.get(option)), JobKind.FETCH_ALL)
        job = job_create(connector=connector, kind=kind, started_by="command line", enqueue=enqueue)
        if enqueue:
            self.stdout.write(f"Queued job #{job.pk} ({job.get_kind_display()}).")
            return
        job = job_run(job.pk)
        self.stdout.write(
            f"Job #{job.pk} {job.status}: {job.succeeded} succeeded, {job.skipped} skipped, {job.failed} failed."
        )
        if job.error:
            raise CommandError(job.error.split("\n", 1)[0])

    def _connector(self, name):
        try:
            return Connector.objects.get(name=name)
        except Connector.DoesNotExist as exc:
            raise CommandError(f"no connector named {name!r}") from exc
