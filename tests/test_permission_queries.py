"""A user's own and group permissions are read in one query, and mean what Django's backend says."""

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from executions.models import WorkflowExecution
from tests.conftest import _client_for


@pytest.fixture
def reader(db):
    user = User.objects.create_user("reader", password="pw")
    user.user_permissions.add(Permission.objects.get(codename="view_workflowexecution"))
    group = Group.objects.create(name="workflow readers")
    group.permissions.add(Permission.objects.get(codename="view_workflow"))
    user.groups.add(group)
    return User.objects.get(pk=user.pk)


def test_own_and_group_permissions_both_count(reader):
    assert reader.has_perm("executions.view_workflowexecution")
    assert reader.has_perm("workflows.view_workflow")
    assert not reader.has_perm("workflows.change_workflow")
    assert reader.get_all_permissions() == {"executions.view_workflowexecution", "workflows.view_workflow"}


def test_an_inactive_user_has_none(reader):
    reader.is_active = False
    assert reader.get_all_permissions() == set()
    assert not reader.has_perm("workflows.view_workflow")


def test_a_list_request_reads_permissions_once(reader):
    WorkflowExecution.objects.create()
    client = _client_for(reader)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/executions")
    assert response.status_code == 200 and response.json()["count"] == 1
    permission_reads = [q["sql"] for q in queries.captured_queries if "auth_permission" in q["sql"]]
    assert len(permission_reads) == 1
    if connection.vendor == "postgresql":
        assert len(queries) == 3  # the token with its user and permissions, the count, the page
    else:
        assert len(queries) == 4  # the token with its user, the permissions, the count, the page


def test_a_permission_granted_or_taken_applies_from_the_next_request(reader):
    client = _client_for(reader)
    assert client.get("/api/v1/executions").status_code == 200
    reader.user_permissions.remove(Permission.objects.get(codename="view_workflowexecution"))
    assert client.get("/api/v1/executions").status_code == 403
    reader.groups.first().permissions.add(Permission.objects.get(codename="view_workflowexecution"))
    assert client.get("/api/v1/executions").status_code == 200


def test_a_token_of_an_inactive_or_unknown_user_is_refused(reader):
    client = _client_for(reader)
    User.objects.filter(pk=reader.pk).update(is_active=False)
    assert client.get("/api/v1/executions").status_code == 401
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert client.get("/api/v1/executions").status_code == 401


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the prepared token statement is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_token_user_and_permissions_are_one_prepared_statement():
    reader = User.objects.create_user("reader", password="pw")
    reader.user_permissions.add(Permission.objects.get(codename="view_workflowexecution"))
    client = _client_for(reader)
    assert client.get("/api/v1/executions").status_code == 200  # prepares it on this connection

    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/v1/executions").status_code == 200
        reader.user_permissions.clear()
        assert client.get("/api/v1/executions").status_code == 403

    token_reads = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("EXECUTE orchestration_")]
    assert len(token_reads) == 2 and all(reader.auth_token.key in sql for sql in token_reads)
