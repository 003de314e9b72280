"""The role groups exist after migrate, hold their documented permissions, and refresh idempotently."""

import io

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command

from orchestration_site.roles import ROLES


def perms(role):
    return set(Group.objects.get(name=role).permissions.values_list("content_type__app_label", "codename").order_by())


def test_the_groups_exist_after_migrate(db):
    assert set(Group.objects.filter(name__in=ROLES).values_list("name", flat=True)) == set(ROLES)


def test_viewer_holds_only_view_permissions_of_every_app(db):
    viewer = perms("viewer")

    assert all(codename.startswith("view_") for _, codename in viewer)
    assert {
        ("workflows", "view_workflow"),
        ("workflows", "view_configentry"),
        ("executions", "view_workflowexecution"),
        ("executions", "view_stepexecution"),
        ("breakers", "view_circuitbreaker"),
        ("audit", "view_auditevent"),
    } <= viewer


def test_editor_and_operator_add_their_own_rights_to_the_viewers(db):
    viewer, editor, operator = perms("viewer"), perms("editor"), perms("operator")

    workflow_writes = {
        ("workflows", codename)
        for codename in Permission.objects.filter(content_type__app_label="workflows").values_list(
            "codename", flat=True
        )
        if codename.split("_")[0] in {"add", "change", "delete"}
    }
    assert editor - viewer == workflow_writes
    assert {("workflows", "change_workflow"), ("workflows", "delete_configentry")} <= workflow_writes
    assert operator - viewer == {
        ("executions", "start_execution"),
        ("executions", "operate_execution"),
        ("breakers", "change_circuitbreaker"),
        ("breakers", "delete_circuitbreaker"),
    }
    assert not {codename for _, codename in editor - viewer if codename.endswith("execution")}


def test_setup_roles_resets_a_changed_group_and_is_idempotent(db):
    viewer = Group.objects.get(name="viewer")
    viewer.permissions.add(Permission.objects.get(codename="delete_workflow"))
    Group.objects.filter(name="operator").delete()
    out = io.StringIO()

    call_command("setup_roles", stdout=out)
    call_command("setup_roles", stdout=out)

    assert ("workflows", "delete_workflow") not in perms("viewer")
    assert ("executions", "start_execution") in perms("operator")
    assert Group.objects.filter(name__in=ROLES).count() == 3
    assert "operator:" in out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_the_groups_come_back_after_a_flush():
    # Transactional tests flush every table; post_migrate then makes the groups again.
    call_command("flush", "--noinput", stdout=io.StringIO())

    assert perms("operator") >= {("executions", "operate_execution")}
