"""Dashboards: records synced, skipped and failed per hour, each direction, from the SyncStat rollup.

Only SyncStat is read (at most hours × directions × entities × outcomes rows per connector), so the
page costs the same on a thousand log lines as on a million. Charts are SVG built here: no
JavaScript, no CDN, they work offline and print.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Sum
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from sync.models import Connector, SyncStat
from sync.stats import DIRECTIONS, OUTCOMES, RECORD_ENTITIES, sync_stat_window

DAYS = 7
COLOURS = {"success": "#2e7d32", "skip": "#8a8a8a", "error": "#c62828"}
LABELS = {"success": "synced", "skip": "skipped", "error": "failed"}
DIRECTION_LABELS = {"incoming": "Outreach → Hull", "outgoing": "Hull → Outreach"}


@dataclass
class Series:
    direction: str
    hours: list[datetime]
    counts: dict[str, list[int]] = field(default_factory=dict)  # outcome -> one count per hour

    @property
    def totals(self) -> dict[str, int]:
        return {outcome: sum(values) for outcome, values in self.counts.items()}

    @property
    def label(self) -> str:
        return DIRECTION_LABELS[self.direction]

    def svg(self) -> SafeString:
        return chart_svg(self)


def dashboard_series(*, connector: Connector | None = None, days: int = DAYS, now: datetime | None = None) -> list[Series]:
    """One Series per direction: per-hour counts of record lines for the last `days` days."""
    first, last = sync_stat_window(hours=days * 24, now=now)
    hours = [first + timedelta(hours=i) for i in range(days * 24)]
    index = {h: i for i, h in enumerate(hours)}
    rows = SyncStat.objects.filter(hour__gte=first, hour__lte=last, entity__in=RECORD_ENTITIES)
    if connector is not None:
        rows = rows.filter(connector=connector)
    rows = rows.values("hour", "direction", "outcome").annotate(n=Sum("count")).order_by()
    series = {d: Series(d, hours, {o: [0] * len(hours) for o in OUTCOMES}) for d in DIRECTIONS}
    for row in rows:
        i = index.get(row["hour"])
        if i is not None:
            series[row["direction"]].counts[row["outcome"]][i] += row["n"]
    return [series[d] for d in DIRECTIONS]


def chart_svg(series: Series, *, width: int = 840, height: int = 180) -> SafeString:
    """A line chart of the three outcomes over the hours, with day ticks and a legend."""
    left, right, top, bottom = 44, 8, 10, 22
    plot_w, plot_h = width - left - right, height - top - bottom
    n = len(series.hours)
    peak = max([1] + [max(values) for values in series.counts.values()])
    step = plot_w / max(1, n - 1)

    def x(i):
        return left + i * step

    def y(v):
        return top + plot_h - (v / peak) * plot_h

    parts = [
        format_html(
            '<svg xmlns="http://www.w3.org/2000/svg" class="hr-chart" viewBox="0 0 {} {}" width="100%" '
            'role="img" aria-label="{}">',
            width,
            height,
            f"{series.label}: records per hour, last {n // 24} days",
        ),
        format_html('<rect x="{}" y="{}" width="{}" height="{}" fill="#fafafa" stroke="#ddd"/>', left, top, plot_w, plot_h),
        format_html('<text x="{}" y="{}" font-size="10" text-anchor="end">{}</text>', left - 4, top + 8, peak),
        format_html('<text x="{}" y="{}" font-size="10" text-anchor="end">0</text>', left - 4, top + plot_h),
    ]
    for i, hour in enumerate(series.hours):
        if hour.hour == 0:
            parts.append(
                format_html(
                    '<line x1="{0}" x2="{0}" y1="{1}" y2="{2}" stroke="#e4e4e4"/>'
                    '<text x="{0}" y="{3}" font-size="10" text-anchor="middle">{4}</text>',
                    f"{x(i):.1f}",
                    top,
                    top + plot_h,
                    height - 6,
                    hour.strftime("%a %d"),
                )
            )
    for outcome in OUTCOMES:
        values = series.counts[outcome]
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
        parts.append(
            format_html(
                '<polyline fill="none" stroke="{}" stroke-width="1.5" points="{}"><title>{}</title></polyline>',
                COLOURS[outcome],
                points,
                f"{LABELS[outcome]}: {sum(values)}",
            )
        )
    parts.append("</svg>")
    return mark_safe("".join(str(p) for p in parts))


def legend_html() -> SafeString:
    return mark_safe(
        " ".join(
            f'<span style="color:{COLOURS[o]}">■ {escape(LABELS[o])}</span>' for o in OUTCOMES
        )
    )
