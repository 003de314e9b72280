"""Chart geometry: round ticks, scaled bars and lines, axes inside the drawing."""

import pytest

from executions import charts
from executions.charts import Series


@pytest.mark.parametrize(
    ("maximum", "ticks"),
    [
        (None, [0, 1]),
        (0, [0, 1]),
        (0.5, [0, 0.1, 0.2, 0.3, 0.4, 0.5]),
        (1, [0, 1]),
        (2, [0, 1, 2]),
        (3, [0, 1, 2, 3]),
        (7, [0, 2, 4, 6, 8]),
        (10, [0, 2, 4, 6, 8, 10]),
        (23, [0, 5, 10, 15, 20, 25]),
        (100, [0, 20, 40, 60, 80, 100]),
        (1234, [0, 500, 1000, 1500]),
    ],
)
def test_nice_ticks(maximum, ticks):
    assert charts.nice_ticks(maximum) == ticks


@pytest.mark.parametrize(
    ("value", "text"), [(None, "–"), (0, "0"), (1500, "1,500"), (0.25, "0.25"), (66.667, "66.67"), (2.0, "2")]
)
def test_format_number(value, text):
    assert charts.format_number(value) == text


def test_linear_scale_maps_the_domain_onto_the_range():
    scale = charts.linear(10, 200, 0)

    assert (scale(0), scale(5), scale(10)) == (200, 100, 0)


def test_column_chart_stacks_series_in_one_column_per_category():
    chart = charts.column_chart(
        title="Executions per hour",
        x_label="hour",
        y_label="executions",
        categories=["00:00", "01:00", "02:00"],
        series=[Series("completed", [3, 0, 1], "green"), Series("failed", [1, 0, None], "red")],
    )

    # Zeros and Nones draw nothing: 3 completed bars (two of them non-empty) + 1 failed bar.
    assert [(bar.series, bar.tooltip) for bar in chart.bars] == [
        ("completed", "00:00: 3 completed"),
        ("failed", "00:00: 1 failed"),
        ("completed", "02:00: 1 completed"),
    ]
    completed, failed, _ = chart.bars
    assert completed.x == failed.x
    assert failed.y + failed.height == pytest.approx(completed.y)  # stacked on top
    assert completed.height == pytest.approx(3 * failed.height, abs=0.02)
    # The top tick is the column total (4), at the top of the plot.
    assert chart.y_ticks[-1].label == "4"
    assert chart.y_ticks[-1].y == chart.top
    assert failed.y == pytest.approx(chart.top)
    assert [tick.label for tick in chart.x_ticks] == ["00:00", "01:00", "02:00"]
    assert [item.label for item in chart.legend] == ["completed", "failed"]
    assert all(chart.left <= bar.x and bar.x + bar.width <= chart.right for bar in chart.bars)


def test_column_chart_thins_its_labels_but_keeps_every_column():
    categories = [f"{hour:02}:00" for hour in range(24)]
    chart = charts.column_chart(
        title="t", x_label="x", y_label="y", categories=categories, series=[Series("n", [1] * 24)]
    )

    assert len(chart.bars) == 24
    assert [tick.label for tick in chart.x_ticks] == categories[::2]


def test_an_empty_chart_says_so():
    chart = charts.column_chart(title="t", x_label="x", y_label="y", categories=["a"], series=[Series("n", [0])])

    assert chart.empty
    assert [tick.label for tick in chart.y_ticks] == ["0", "1"]


def test_line_chart_leaves_gaps_where_there_is_no_value():
    chart = charts.line_chart(
        title="Success rate",
        x_label="hour",
        y_label="%",
        categories=["a", "b", "c", "d", "e"],
        series=[Series("rate", [100, 50, None, 0, 25])],
        y_max=100,
    )

    assert [point.tooltip for point in chart.points] == ["a: 100 rate", "b: 50 rate", "d: 0 rate", "e: 25 rate"]
    assert [line.points.count(",") for line in chart.lines] == [2, 2]
    first, second = chart.points[:2]
    slot = (chart.right - chart.left) / 5
    assert (first.x, first.y) == (pytest.approx(chart.left + slot / 2), chart.top)
    assert second.y == pytest.approx((chart.top + chart.bottom) / 2)
    assert chart.points[-1].x == pytest.approx(chart.right - slot / 2)
    assert chart.points[2].y == chart.bottom


def test_bar_chart_draws_one_row_per_label_scaled_to_the_largest():
    chart = charts.bar_chart(
        title="Average duration per step",
        x_label="ms",
        y_label="step",
        labels=["fetch", "transform", "idle"],
        values=[200, 50, 0],
        unit=" ms",
    )

    assert [bar.tooltip for bar in chart.bars] == ["fetch: 200 ms", "transform: 50 ms"]
    assert chart.bars[0].width == pytest.approx(chart.right - chart.left)
    assert chart.bars[1].width == pytest.approx((chart.right - chart.left) / 4, abs=0.02)
    assert [tick.label for tick in chart.y_ticks] == ["fetch", "transform", "idle"]
    assert chart.horizontal
    # The labels (9 characters at most) fit between the rotated axis label and the plot.
    assert chart.left >= 36 + 9 * charts.CHAR_WIDTH
    assert chart.height > charts.MARGIN_TOP + charts.MARGIN_BOTTOM + 2 * 26


def test_description_names_the_title_and_both_axes():
    chart = charts.bar_chart(title="Failures", x_label="executions", y_label="error type", labels=[], values=[])

    assert chart.description == "Failures. Horizontal axis: executions; vertical axis: error type."
