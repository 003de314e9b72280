"""The database connection's health check: no query while the link is quiet, a new connection
once the server has ended the old one (PostgreSQL)."""

import time

import psycopg2
import pytest
from django.db import DataError, close_old_connections, connection
from django.db.backends.postgresql import base

from workflows.models import Workflow

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("the health check belongs to the PostgreSQL backend")


def backend_pid():
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def end_backend(pid):
    """End a server connection from another one, as a restart or an administrator would."""
    settings = connection.settings_dict
    other = psycopg2.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        password=settings["PASSWORD"],
        host=settings["HOST"],
        port=settings["PORT"],
    )
    try:
        other.autocommit = True
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
                if cursor.fetchone()[0] == 0:
                    return
                time.sleep(0.02)
        raise AssertionError(f"backend {pid} did not end")
    finally:
        other.close()


def test_the_engine_is_the_projects_postgresql_backend():
    assert connection.settings_dict["ENGINE"] == "orchestration_site.postgresql"
    assert connection.vendor == "postgresql"


def test_a_quiet_connection_is_usable_without_a_query(monkeypatch):
    backend_pid()
    asked = []
    monkeypatch.setattr(base.DatabaseWrapper, "is_usable", lambda self: asked.append(self) or True)
    assert connection.is_usable()
    assert asked == [], "a quiet connection was checked with a query"


@pytest.fixture
def persistent_connection(monkeypatch):
    """A connection kept across requests, as CONN_MAX_AGE > 0 has it (the tests' is 0, closed
    after each): only the health check can then find that the server has gone."""
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", None)
    monkeypatch.setitem(connection.settings_dict, "CONN_HEALTH_CHECKS", True)
    connection.close()
    backend_pid()  # connects with the settings above
    yield
    connection.close()


def test_after_the_server_ended_the_connection_the_next_request_reconnects(persistent_connection):
    old_pid = backend_pid()
    end_backend(old_pid)
    close_old_connections()  # what Django does as a request (and a worker message) begins
    assert not Workflow.objects.exists()  # no OperationalError: a new connection was opened
    assert backend_pid() != old_pid


def test_a_kept_connection_that_is_still_good_is_kept(persistent_connection):
    pid = backend_pid()
    close_old_connections()
    assert not Workflow.objects.exists()
    assert backend_pid() == pid


def test_a_connection_left_in_a_failed_transaction_is_not_usable(persistent_connection):
    with connection.cursor() as cursor:
        cursor.execute("BEGIN")
        with pytest.raises(DataError):
            cursor.execute("SELECT 1/0")
    try:
        assert not connection.is_usable()
    finally:
        connection.close()


def test_a_closed_connection_is_not_usable():
    backend_pid()
    connection.connection.close()
    try:
        assert not connection.is_usable()
    finally:
        connection.close()
