"""The recruitment summary (rekap) below one area: per kecamatan of a kab/kota, per kelurahan
of a kecamatan, per TPS of a kelurahan — applicants, documents complete, MS, seats filled and
the shortfall — as a text table short enough for one chat message and as a bar chart (PNG).

The counts are grouped in SQL (``storage.repositories.reports.Reports.rekap``). The shortfall
of a group is its seats (7 per TPS) minus the seats filled, or, while nobody there is selected
yet, minus the applicants found eligible (MS). "Documents complete" counts the documents
required of everyone (a party letter or a superior's permission, required of some, is checked
per applicant in the export). The chart is drawn with matplotlib's object API on the Agg
canvas (no pyplot, no global state), imported only when a chart is drawn, in a worker thread.
"""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass, field

from handlers.i18n import NC_, Translator
from handlers.period import Period
from storage.domain import KPPS_SIZE, RegionInfo
from storage.repositories import Repos
from storage.repositories.reports import RekapCounts

CONTEXT = "rekap"
MAX_TEXT_ROWS = 25  # rows of the text table; the chart shows up to MAX_CHART_ROWS
MAX_CHART_ROWS = 60
NAME_WIDTH = 14

COLUMNS = (
    NC_("rekap", "Area"),
    NC_("rekap", "Appl."),
    NC_("rekap", "Docs"),
    NC_("rekap", "MS"),
    NC_("rekap", "Sel."),
    NC_("rekap", "Short"),
)
# TRANSLATORS: the legend under the summary table; the abbreviations are those of the columns
LEGEND = NC_(
    "rekap",
    "Appl. = applicants, Docs = documents complete, MS = eligible (memenuhi syarat), "
    "Sel. = selected (seats filled), Short = seats still to fill ({size} per TPS, minus those "
    "selected, or minus MS before the selection).",
)


@dataclass(frozen=True)
class Row:
    label: str
    applicants: int
    documents_complete: int
    qualified: int
    selected: int
    tps: int
    shortfall: int

    def numbers(self) -> list[int]:
        return [
            self.applicants,
            self.documents_complete,
            self.qualified,
            self.selected,
            self.shortfall,
        ]


def row_of(label: str, c: RekapCounts) -> Row:
    """A TPS or a kelurahan: its seats (7 per TPS) minus those filled, or minus MS while
    nobody there is selected yet."""
    filled = c.selected or c.qualified
    shortfall = max(0, KPPS_SIZE * c.tps - filled)
    return Row(label, c.applicants, c.documents_complete, c.qualified, c.selected, c.tps, shortfall)


def sum_of(label: str, rows: list[Row]) -> Row:
    """Several kelurahan (a kecamatan, a kab/kota): the sums, shortfalls included (a surplus in
    one kelurahan fills no seat in another)."""
    return Row(
        label,
        sum(r.applicants for r in rows),
        sum(r.documents_complete for r in rows),
        sum(r.qualified for r in rows),
        sum(r.selected for r in rows),
        sum(r.tps for r in rows),
        sum(r.shortfall for r in rows),
    )


@dataclass(frozen=True)
class Summary:
    region: RegionInfo
    level: int  # of the rows: 3 kecamatan, 4 kelurahan, 5 TPS
    period_name: str
    rows: list[Row] = field(default_factory=list)
    # The whole area; for a per-TPS summary the kelurahan as a whole (with the applicants who
    # have no TPS yet, and a shortfall as the PPK sees it), else the sum of the rows.
    whole: Row | None = None
    no_tps: int = 0  # (per-TPS summary) applicants who have no TPS yet

    @property
    def total(self) -> Row:
        return self.whole or sum_of("", self.rows)


def tps_label(number: int) -> str:
    return f"TPS {number:03d}"


async def summary(repos: Repos, period: Period, region: RegionInfo) -> Summary:
    """The summary below ``region`` (whose access is already checked): a kab/kota per
    kecamatan, a kecamatan per kelurahan, a kelurahan per TPS."""
    level = region.level + 1
    kinds = [spec.kind.value for spec in period.documents if spec.required == "always"]
    per_kelurahan = await repos.reports.rekap(period.code, region.code, 4, kinds)
    if level == 5:
        counts = await repos.reports.rekap(period.code, region.code, 5, kinds)
        stations = await repos.wilayah.tps_of(region.code)
        labelled = [(str(s.id), tps_label(s.number)) for s in stations]
        rows = [row for _, row in _rows(labelled, counts)]
        whole = row_of("", per_kelurahan.get(region.code, RekapCounts(region.code)))
        no_tps = await repos.reports.unassigned(period.code, region.code)
        return Summary(region, level, period.name, rows, whole, no_tps)
    kelurahan = await repos.wilayah.descendants(region.code, 4)
    keyed = _rows([(k.code, k.name) for k in kelurahan], per_kelurahan)
    if level == 4:
        return Summary(region, level, period.name, [row for _, row in keyed])
    kecamatan = await repos.wilayah.descendants(region.code, 3)
    members: dict[str, list[Row]] = {k.code: [] for k in kecamatan}
    for code, row in keyed:
        members.setdefault(code[:8], []).append(row)  # 74.71.01.1006 is in 74.71.01
    names = {k.code: k.name for k in kecamatan}
    rows = [sum_of(names.get(code, code), group) for code, group in members.items()]
    return Summary(region, level, period.name, rows)


def _rows(labelled: list[tuple[str, str]], counts: dict[str, RekapCounts]) -> list[tuple[str, Row]]:
    """(key, row) of every known group in order, then of the groups counted but not known
    (labelled by their code)."""
    known = {key for key, _ in labelled}
    labelled = labelled + [(key, key) for key in sorted(counts) if key not in known]
    return [(key, row_of(label, counts.get(key, RekapCounts(key)))) for key, label in labelled]


def title(t: Translator, s: Summary) -> str:
    return t.C_(
        "rekap",
        "KPPS recruitment summary: {area} ({code})",
        area=area_name(t, s.region),
        code=s.region.code,
    )


def area_name(t: Translator, region: RegionInfo) -> str:
    """The region as a heading names it: Kecamatan Mandonga, Kelurahan Korumba, Kota Kendari."""
    if region.level == 3:
        return t.C_("rekap", "Kecamatan {name}", name=region.name)
    if region.level == 4:
        if region.code.rsplit(".", 1)[-1].startswith("2"):  # 2xxx: a desa, 1xxx: a kelurahan
            return t.C_("rekap", "Desa {name}", name=region.name)
        return t.C_("rekap", "Kelurahan {name}", name=region.name)
    return region.name


def _short(name: str, width: int) -> str:
    return name if len(name) <= width else name[: width - 1] + "…"


def text(t: Translator, s: Summary) -> str:
    """The table as plain text, columns aligned with spaces (monospace-friendly)."""
    headers = [t.C_(CONTEXT, c) for c in COLUMNS]
    shown = s.rows[:MAX_TEXT_ROWS]
    body = [[_short(r.label, NAME_WIDTH), *map(str, r.numbers())] for r in shown]
    totals = [_short(t.C_("rekap", "Total"), NAME_WIDTH)]
    totals += [str(n) for n in s.total.numbers()]
    widths = [max(len(headers[0]), NAME_WIDTH)] + [
        max(len(cells[i]) for cells in [headers, *body, totals]) for i in range(1, len(headers))
    ]

    def line(cells: list[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = [cell.rjust(width) for cell, width in zip(cells[1:], widths[1:], strict=True)]
        return " ".join([first, *rest]).rstrip()

    lines = [title(t, s), s.period_name, "", line(headers)]
    lines += [line(cells) for cells in body]
    if len(s.rows) > len(shown):
        lines.append(
            t.C_(
                "rekap",
                "… and {n} more (all of them are in the chart and in /ekspor).",
                n=len(s.rows) - len(shown),
            )
        )
    lines.append(line(totals))
    if s.no_tps:
        lines.append(t.C_("rekap", "Applicants without a TPS yet: {n}.", n=s.no_tps))
    if not s.rows:
        lines.append(t.C_("rekap", "No areas or polling stations are recorded below this one."))
    lines += ["", t.C_(CONTEXT, LEGEND, size=KPPS_SIZE)]
    return "\n".join(lines)


async def chart_png(t: Translator, s: Summary) -> bytes:
    """A horizontal bar chart of the summary, drawn in a worker thread."""
    labels = {
        "applicants": t.C_("rekap", "Applicants"),
        "qualified": t.C_("rekap", "Eligible (MS)"),
        "selected": t.C_("rekap", "Selected"),
        "seats": t.C_("rekap", "Seats ({size} per TPS)", size=KPPS_SIZE),
    }
    heading = title(t, s)
    return await asyncio.to_thread(_draw, heading, s.rows[:MAX_CHART_ROWS], labels)


def _draw(heading: str, rows: list[Row], labels: dict[str, str]) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    count = max(len(rows), 1)
    figure = Figure(figsize=(8, 1.8 + 0.42 * count), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    positions = list(range(count))
    height = 0.27
    series = [
        ("applicants", [r.applicants for r in rows], "#9ecae1", -height),
        ("qualified", [r.qualified for r in rows], "#3182bd", 0.0),
        ("selected", [r.selected for r in rows], "#31a354", height),
    ]
    for key, values, colour, offset in series:
        axes.barh(
            [p + offset for p in positions[: len(values)]],
            values,
            height=height,
            color=colour,
            label=labels[key],
        )
    axes.scatter(
        [KPPS_SIZE * r.tps for r in rows],
        positions[: len(rows)],
        marker="|",
        s=300,
        color="#de2d26",
        label=labels["seats"],
        zorder=3,
    )
    axes.set_yticks(positions[: len(rows)], [_short(r.label, 22) for r in rows])
    axes.invert_yaxis()
    axes.set_title(heading, fontsize=11)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))  # people are counted whole
    axes.grid(axis="x", alpha=0.3)
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.06), ncol=4, fontsize=8, frameon=False)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()
