"""Fetches from Outreach into Hull: all accounts and/or prospects, or those changed recently.

A fetch saves a checkpoint after every page (the next page's cursor URL and the counts), so a job
interrupted by a crash continues from its last completed page when it runs again. Memory stays flat:
one page (at most 1000 records) is held at a time.
"""

from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from sync.choices import JobKind
from sync.incoming import incoming_writer_for
from sync.jobs import job_save_progress, job_slice_check
from sync.models import SyncJob
from sync.outreach_calls import outreach_job_errors

PAGE_SIZE = 1000
# Recently changed records are read from a little before the last watermark: clocks and
# Outreach's indexing are not exact, and re-reading a few records costs less than missing one.
RECENT_OVERLAP = timedelta(minutes=2)
# The first recent fetch of a connector looks this far back ("Fetch all" is for history).
RECENT_FIRST_WINDOW = timedelta(hours=1)

PHASES = {
    JobKind.FETCH_ACCOUNTS: ["account"],
    JobKind.FETCH_PROSPECTS: ["prospect"],
    JobKind.FETCH_ALL: ["account", "prospect"],
    JobKind.FETCH_RECENT: ["account", "prospect"],
}
WATERMARK_FIELDS = {"account": "accounts_fetched_until", "prospect": "prospects_fetched_until"}


def fetch_job_run(job: SyncJob) -> None:
    connector = job.connector
    writer = incoming_writer_for(connector=connector, job=job)
    checkpoint = job.checkpoint or {}
    phases = PHASES[job.kind]
    recent = job.kind == JobKind.FETCH_RECENT
    with outreach_job_errors():
        for index, resource in enumerate(phases):
            if index < checkpoint.get("phase", 0):
                continue
            if checkpoint.get("phase") != index:
                checkpoint = {**checkpoint, "phase": index, "next_url": None}
                if recent:
                    checkpoint["since"] = _recent_since(connector, resource).isoformat()
                    checkpoint["phase_started"] = timezone.now().isoformat()
            pages = (
                writer.client.iter_changed_since(
                    resource,
                    since=checkpoint["since"],
                    exclude_ids=checkpoint.get("high_water_ids", []),
                    page_size=PAGE_SIZE,
                    start_url=checkpoint.get("next_url"),
                )
                if recent
                else writer.client.iter_pages(
                    resource,
                    page_size=PAGE_SIZE,
                    start_url=checkpoint.get("next_url"),
                    # The first page also says how many there are, for the progress bar: no extra request.
                    params=None if checkpoint.get("next_url") else {"count": "true"},
                )
            )
            write = writer.prospect if resource == "prospect" else writer.account
            for page in pages:
                if page.total is not None:
                    job.progress_total = job.progress_done + page.total
                for record in page.records:
                    if write(record) == "skip":
                        job.skipped += 1
                    else:
                        job.succeeded += 1
                writer.flush()
                job.progress_done += len(page.records)
                checkpoint["pages"] = checkpoint.get("pages", 0) + 1
                checkpoint["next_url"] = page.next_url
                if recent:
                    checkpoint.setdefault("watermarks", {})[resource] = page.high_water
                    checkpoint["high_water_ids"] = page.high_water_ids
                if not page.next_url:
                    # The last page: the phase is done in the same save, so a resumed job never
                    # mistakes "finished" for "not started" and reads everything again.
                    checkpoint = _phase_finish(checkpoint, index=index, resource=resource, recent=recent)
                job.checkpoint = checkpoint
                job_save_progress(job)
                if page.next_url or index + 1 < len(phases):  # hand the worker back only if work is left
                    job_slice_check(job)
            if checkpoint.get("phase") == index:
                checkpoint = _phase_finish(checkpoint, index=index, resource=resource, recent=recent)
                job.checkpoint = checkpoint
                job_save_progress(job)
    if recent:
        _watermarks_advance(job)


def _phase_finish(checkpoint: dict, *, index: int, resource: str, recent: bool) -> dict:
    checkpoint = {**checkpoint, "phase": index + 1, "next_url": None, "high_water_ids": []}
    if recent and not (checkpoint.get("watermarks") or {}).get(resource):
        # Nothing changed in the window: everything up to when this phase began has been seen.
        checkpoint["watermarks"] = {**checkpoint.get("watermarks", {}), resource: checkpoint["phase_started"]}
    return checkpoint


def _recent_since(connector, resource: str) -> datetime:
    watermark = getattr(connector, WATERMARK_FIELDS[resource])
    if watermark is None:
        return timezone.now() - RECENT_FIRST_WINDOW
    return watermark - RECENT_OVERLAP


def _watermarks_advance(job: SyncJob) -> None:
    """Only a run that got to the end moves the watermarks (a failed run repeats its window)."""
    connector = job.connector
    changed = []
    for resource, value in (job.checkpoint.get("watermarks") or {}).items():
        moment = parse_datetime(value) if value else None
        if moment is None:
            continue
        field_name = WATERMARK_FIELDS[resource]
        current = getattr(connector, field_name)
        if current is None or moment > current:
            setattr(connector, field_name, moment)
            changed.append(field_name)
    if changed:
        connector.save(update_fields=changed)
