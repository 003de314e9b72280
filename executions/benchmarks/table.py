"""Print the benchmark's rows as one plain-text (Markdown) table."""


def _figure(value, unit):
    if value is None:
        return "-"
    if unit in ("ms",):
        return f"{value:.1f} ms" if value < 1000 else f"{value / 1000:.2f} s"
    if unit == "MB":
        return f"{value:.1f} MB"
    if unit == "/s":
        return f"{value:.1f}/s"
    return f"{value:g} {unit}".strip()


def render(rows):
    """Return the rows as a Markdown table: id, measured, engine, baseline, ratio, target, result."""
    header = ["id", "measured", "engine", "baseline", "ratio", "target", "result"]
    lines = []
    for row in rows:
        ratio = f"{row.ratio:.2f}×" if row.ratio is not None else "-"
        result = f"SKIPPED ({row.skipped})" if row.skipped else row.result
        lines.append(
            [
                row.scenario,
                row.measured,
                _figure(row.engine, row.unit),
                _figure(row.baseline, row.unit),
                ratio,
                row.target or "-",
                result,
            ]
        )
    lines = [[" ".join(str(cell).split()) for cell in cells] for cells in lines]  # one line per row
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *lines, strict=False)]

    def format_line(cells):
        return "| " + " | ".join(str(cell).ljust(width) for cell, width in zip(cells, widths, strict=True)) + " |"

    out = [format_line(header), "|" + "|".join("-" * (width + 2) for width in widths) + "|"]
    out.extend(format_line(cells) for cells in lines)
    return "\n".join(out)
