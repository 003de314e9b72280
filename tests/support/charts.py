"""Read the SVG charts of a rendered page: each one parsed as XML and keyed by its <title>."""

import re
import xml.etree.ElementTree as ET

SVG = "{http://www.w3.org/2000/svg}"


def charts_in(html):
    """Return {title: <svg> element} for every `<svg class="chart">` in the page."""
    found = {}
    for block in re.findall(r'<svg class="chart".*?</svg>', html, flags=re.S):
        svg = ET.fromstring(block)
        found[svg.find(f"{SVG}title").text] = svg
    return found


def shapes(svg, kind):
    """Return the bars ("bar") or points ("point") of a chart."""
    tag = "rect" if kind == "bar" else "circle"
    return [element for element in svg.iter(f"{SVG}{tag}") if element.get("class") == kind]


def tooltips(svg, kind):
    return [element.find(f"{SVG}title").text for element in shapes(svg, kind)]
