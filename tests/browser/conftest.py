"""Browser fixtures: one headless Chromium per session, a fresh page per test, a staff user."""

import pytest
from django.contrib.auth.models import User

from tests.conftest import require_browser
from tests.support import browser


@pytest.fixture(scope="module")
def chromium():
    require_browser()
    with browser.launched_chromium() as launched:
        yield launched


@pytest.fixture
def page(chromium):
    context = chromium.new_context(viewport=browser.VIEWPORT)
    context.set_default_timeout(15_000)
    opened = context.new_page()
    yield opened
    context.close()


@pytest.fixture
def staff_login(transactional_db):
    """A superuser's credentials (the live server reads the same database)."""
    User.objects.create_superuser("boss", email="boss@example.test", password="pw-boss-1")
    return "boss", "pw-boss-1"
