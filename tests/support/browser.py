"""Headless Chromium for browser tests: Debian's /usr/bin/chromium driven by Playwright's sync API.

Playwright's own browser downloads are never used (`playwright install` cannot reach its CDN here);
the system Chromium is launched through `executable_path`.
"""

import contextlib
import os
from pathlib import Path

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DOCS = Path(__file__).resolve().parents[2] / "docs"
VIEWPORT = {"width": 1400, "height": 1000}


def unavailable_reason():
    """Why browser tests cannot run here, or None when they can."""
    if not os.path.exists(CHROMIUM):
        return f"{CHROMIUM} is missing (apt-get install -y chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed"
    return None


@contextlib.contextmanager
def launched_chromium():
    """Yield a Playwright Browser on the system Chromium; closed when the block ends."""
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; Django would refuse ORM calls from
    # it as "async" without this (the live server and the worker use their own threads). Only while
    # the browser is open, so nothing else in the test run inherits it.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            try:
                yield browser
            finally:
                browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def log_in(page, base_url, username, password):
    """Sign in through the admin's login form and land on the admin index."""
    page.goto(f"{base_url}/admin/login/?next=/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.wait_for_url(f"{base_url}/admin/")


def set_json_editor(page, field_id, value):
    """Put a JSON value into a django-json-widget editor, as typing in it would."""
    page.evaluate(
        """([fieldId, value]) => {
            window[fieldId + "_editor"].set(value);
            document.getElementById(fieldId + "_textarea").value = JSON.stringify(value);
        }""",
        [field_id, value],
    )


def screenshot(page, name, selector=None):
    """Save a PNG under docs/ when UPDATE_SCREENSHOTS is set (the README shows them); else do nothing."""
    if not os.environ.get("UPDATE_SCREENSHOTS"):
        return None
    DOCS.mkdir(exist_ok=True)
    path = DOCS / name
    if selector:
        page.locator(selector).screenshot(path=str(path))
    else:
        page.screenshot(path=str(path), full_page=True)
    return path
