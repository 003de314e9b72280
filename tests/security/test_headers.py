"""Security headers on API, admin and docs responses; HSTS over HTTPS in production."""

import pytest
from django.test import Client

HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


@pytest.mark.parametrize("path", ["/api/v1/workflows", "/admin/login/", "/api/docs/", "/api/v1/nothing-here"])
def test_every_response_carries_the_security_headers(api, path):
    response = api.get(path)

    for name, value in HEADERS.items():
        if path == "/api/docs/" and name == "Cross-Origin-Opener-Policy":
            # drf-spectacular opens the docs page to its OAuth2 redirect pop-up on purpose.
            value = "unsafe-none"
        assert response[name] == value, (path, name)


def test_hsts_is_sent_over_https_when_configured(db, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True

    secure = Client().get("/admin/login/", secure=True)
    plain = Client().get("/admin/login/")

    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert "Strict-Transport-Security" not in plain  # browsers ignore it over http
