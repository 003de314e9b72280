"""Geometry of the metrics pages' SVG charts: scales, ticks, bars, lines and axes, as plain numbers.

Nothing here touches Django: a function takes categories and values and returns a `Chart` whose
coordinates a template (`templates/metrics/chart.html`) writes out as `<svg class="chart">`.
"""

import math
from dataclasses import dataclass, field

COMPLETED_COLOUR = "#2e7d32"
FAILED_COLOUR = "#c62828"
NEUTRAL_COLOUR = "#417690"  # the admin's own blue

# Room around the plot for tick labels, axis labels and the legend.
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 64, 36, 28, 52
# Width of one character of tick text, roughly, at the charts' 11px font.
CHAR_WIDTH = 6.5


@dataclass(frozen=True)
class Series:
    """One named row of values (None = no value) drawn in one colour."""

    name: str
    values: list
    colour: str = NEUTRAL_COLOUR


@dataclass(frozen=True)
class Tick:
    x: float
    y: float
    label: str


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    colour: str
    series: str
    tooltip: str


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    colour: str
    series: str
    tooltip: str


@dataclass(frozen=True)
class Line:
    points: str  # "x1,y1 x2,y2 …" for <polyline points>
    colour: str
    series: str


@dataclass(frozen=True)
class LegendItem:
    x: float
    y: float
    label: str
    colour: str

    @property
    def swatch_y(self):
        return self.y - 9

    @property
    def text_x(self):
        return self.x + 14


@dataclass
class Chart:
    """Everything a template needs to draw one chart."""

    title: str
    x_label: str
    y_label: str
    width: int
    height: int
    left: float
    top: float
    right: float
    bottom: float
    x_ticks: list = field(default_factory=list)
    y_ticks: list = field(default_factory=list)
    bars: list = field(default_factory=list)
    lines: list = field(default_factory=list)
    points: list = field(default_factory=list)
    legend: list = field(default_factory=list)
    # Horizontal charts put their category labels left of the plot, vertical ones under it.
    horizontal: bool = False

    @property
    def empty(self):
        return not (self.bars or self.points)

    @property
    def description(self):
        """The chart's accessible name: its title and both axes."""
        return f"{self.title}. Horizontal axis: {self.x_label}; vertical axis: {self.y_label}."

    @property
    def x_label_x(self):
        return (self.left + self.right) / 2

    @property
    def x_label_y(self):
        return self.height - 8

    @property
    def y_label_y(self):
        return (self.top + self.bottom) / 2


def nice_ticks(maximum, count=5):
    """Return evenly spaced round ticks from 0 up to at least `maximum` (steps of 1, 2 or 5 × 10ⁿ; whole from 1 up)."""
    if maximum is None or maximum <= 0:
        return [0, 1]
    raw_step = maximum / count
    magnitude = 10 ** math.floor(math.log10(raw_step))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw_step)
    if maximum >= 1:
        step = max(step, 1)  # counts and milliseconds read badly as 0.5 executions
    top = math.ceil(maximum / step - 1e-9) * step
    ticks = []
    value = 0
    while value <= top + step / 2:
        ticks.append(_clean(value))
        value += step
    return ticks


def _clean(value):
    """Round away float noise (0.30000000000000004) and give whole numbers as int."""
    value = round(value, 10)
    return int(value) if value == int(value) else value


def format_number(value):
    """Format a tick or tooltip value: thousands separated, at most two decimals."""
    if value is None:
        return "–"
    value = _clean(value)
    return f"{value:,}" if isinstance(value, int) else f"{value:,.2f}".rstrip("0").rstrip(".")


def linear(domain_max, range_start, range_end):
    """Return a function mapping 0…domain_max onto range_start…range_end."""
    span = domain_max or 1

    def scale(value):
        return round(range_start + (range_end - range_start) * (value / span), 2)

    return scale


def _frame(title, x_label, y_label, width, height, left=MARGIN_LEFT):
    return Chart(
        title=title,
        x_label=x_label,
        y_label=y_label,
        width=width,
        height=height,
        left=left,
        top=MARGIN_TOP,
        right=width - MARGIN_RIGHT,
        bottom=height - MARGIN_BOTTOM,
    )


def _legend(chart, series):
    if len(series) < 2:
        return
    x = chart.left
    for item in series:
        chart.legend.append(LegendItem(x=x, y=12, label=item.name, colour=item.colour))
        x += 24 + CHAR_WIDTH * len(item.name)


def _value_axis(chart, maximum, unit=""):
    """Vertical value axis: returns the scale and adds the y ticks."""
    ticks = nice_ticks(maximum)
    scale = linear(ticks[-1], chart.bottom, chart.top)
    chart.y_ticks = [Tick(x=chart.left - 6, y=scale(value), label=format_number(value) + unit) for value in ticks]
    return scale


def _category_ticks(chart, categories, centre_of, label_every):
    every = label_every or max(1, math.ceil(len(categories) / 12))
    chart.x_ticks = [
        Tick(x=centre_of(index), y=chart.bottom + 16, label=str(label))
        for index, label in enumerate(categories)
        if index % every == 0
    ]


def column_chart(*, title, x_label, y_label, categories, series, width=720, height=260, label_every=None, unit=""):
    """Vertical columns, one per category, with the series stacked in each (None counts as 0)."""
    chart = _frame(title, x_label, y_label, width, height)
    totals = [sum(s.values[i] or 0 for s in series) for i in range(len(categories))]
    scale = _value_axis(chart, max(totals, default=0), unit)
    slot = (chart.right - chart.left) / max(len(categories), 1)
    bar_width = round(max(slot * 0.7, 1), 2)
    for index, category in enumerate(categories):
        base = 0
        x = round(chart.left + slot * index + (slot - bar_width) / 2, 2)
        for item in series:
            value = item.values[index] or 0
            if value <= 0:
                continue
            y_top, y_bottom = scale(base + value), scale(base)
            chart.bars.append(
                Bar(
                    x=x,
                    y=y_top,
                    width=bar_width,
                    height=round(y_bottom - y_top, 2),
                    colour=item.colour,
                    series=item.name,
                    tooltip=f"{category}: {format_number(value)}{unit} {item.name}".strip(),
                )
            )
            base += value
    _category_ticks(chart, categories, lambda i: round(chart.left + slot * (i + 0.5), 2), label_every)
    _legend(chart, series)
    return chart


def line_chart(*, title, x_label, y_label, categories, series, y_max=None, width=720, height=260, unit=""):
    """One line per series through its values; a None leaves a gap and draws no point."""
    chart = _frame(title, x_label, y_label, width, height)
    highest = max((v for s in series for v in s.values if v is not None), default=0)
    scale = _value_axis(chart, y_max if y_max is not None else highest, unit)
    # Points sit at the centre of each category's slot, where a column chart puts its columns.
    slot = (chart.right - chart.left) / max(len(categories), 1)

    def x_of(index):
        return round(chart.left + slot * (index + 0.5), 2)

    for item in series:
        run = []
        for index, value in enumerate(item.values):
            if value is None:
                if len(run) > 1:
                    chart.lines.append(Line(points=" ".join(run), colour=item.colour, series=item.name))
                run = []
                continue
            x, y = x_of(index), scale(value)
            run.append(f"{x},{y}")
            tooltip = f"{categories[index]}: {format_number(value)}{unit} {item.name}".strip()
            chart.points.append(Point(x=x, y=y, colour=item.colour, series=item.name, tooltip=tooltip))
        if len(run) > 1:
            chart.lines.append(Line(points=" ".join(run), colour=item.colour, series=item.name))
    _category_ticks(chart, categories, x_of, None)
    _legend(chart, series)
    return chart


def bar_chart(*, title, x_label, y_label, labels, values, colour=NEUTRAL_COLOUR, width=720, unit="", row=26):
    """Horizontal bars, one per label, longest scale at the right; the height grows with the rows."""
    # Room for the rotated axis label, then for the longest category label (shortened past 32 characters).
    longest = max((len(_shorten(str(label), 32)) for label in labels), default=0)
    label_room = math.ceil(36 + CHAR_WIDTH * longest)
    height = MARGIN_TOP + MARGIN_BOTTOM + row * max(len(labels), 1)
    chart = _frame(title, x_label, y_label, width, height, left=label_room)
    chart.horizontal = True
    ticks = nice_ticks(max((v or 0 for v in values), default=0))
    scale = linear(ticks[-1], chart.left, chart.right)
    chart.x_ticks = [Tick(x=scale(value), y=chart.bottom + 16, label=format_number(value) + unit) for value in ticks]
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = chart.top + row * index
        chart.y_ticks.append(Tick(x=chart.left - 6, y=round(y + row / 2, 2), label=_shorten(str(label), 32)))
        if not value:
            continue
        chart.bars.append(
            Bar(
                x=chart.left,
                y=round(y + row * 0.15, 2),
                width=round(scale(value) - chart.left, 2),
                height=round(row * 0.7, 2),
                colour=colour,
                series=x_label,
                tooltip=f"{label}: {format_number(value)}{unit}",
            )
        )
    return chart


def _shorten(text, limit):
    return text if len(text) <= limit else text[: limit - 1] + "…"
