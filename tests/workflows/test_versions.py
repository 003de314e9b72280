"""Every change to a workflow's definition makes an immutable version; rollback makes a new one equal to an old."""

import threading

import pytest
from django.apps import apps as django_apps
from django.contrib.auth.models import User
from django.db import connection

from workflows import services
from workflows.definition import DefinitionError
from workflows.models import Workflow, WorkflowVersion

STEPS = [{"id": "ping", "type": "HTTP_REQUEST", "config": {"url": "https://example.test/v1"}}]
STEPS_V2 = [{"id": "ping", "type": "HTTP_REQUEST", "config": {"url": "https://example.test/v2"}}]


def make(**fields):
    return services.workflow_create(
        data={"name": "W", "category": "test", "status": "ACTIVE", "steps": STEPS, **fields}
    )


def versions(workflow):
    return list(WorkflowVersion.objects.filter(workflow=workflow).order_by("version"))


def test_creating_a_workflow_records_version_1(db):
    user = User.objects.create_user("ada")

    workflow = services.workflow_create(
        data={"name": "W", "category": "test", "steps": STEPS, "timeout": 5000}, user=user
    )

    [first] = versions(workflow)
    assert (first.version, first.steps, first.timeout, first.created_by, first.comment) == (
        1,
        STEPS,
        5000,
        user,
        "Created",
    )
    assert first.definition() == {
        "triggers": [],
        "steps": STEPS,
        "errorHandlers": [],
        "timeout": 5000,
        "retryPolicy": None,
    }


@pytest.mark.parametrize(
    "change",
    [
        {"steps": STEPS_V2},
        {"triggers": [{"type": "MANUAL", "config": {}, "isEnabled": True}]},
        {
            "steps": [*STEPS, {"id": "alert", "type": "WAIT", "config": {"duration": 1}}],
            "errorHandlers": [{"stepId": "ping", "handlerStepId": "alert", "shouldContinue": True}],
        },
        {"timeout": 1000},
        {"retryPolicy": {"maxAttempts": 2}},
    ],
    ids=lambda change: list(change)[-1],
)
def test_a_definition_change_makes_a_new_version(db, change):
    workflow = make()

    updated = services.workflow_update(workflow=workflow, data=change, partial=True)

    assert updated.version == 2
    assert [v.version for v in versions(workflow)] == [1, 2]
    assert versions(workflow)[1].definition() == {
        key: value
        for key, value in services.workflow_as_definition(updated).items()
        if key in ("triggers", "steps", "errorHandlers", "timeout", "retryPolicy")
    }


@pytest.mark.parametrize(
    "change",
    [
        {"name": "Renamed"},
        {"description": "Says more"},
        {"status": "INACTIVE"},
        {"category": "other"},
        {"metadata": {"a": 1}},
    ],
    ids=lambda change: next(iter(change)),
)
def test_other_changes_make_no_version(db, change):
    workflow = make()

    updated = services.workflow_update(workflow=workflow, data=change, partial=True)

    assert updated.version == 1
    assert len(versions(workflow)) == 1


def test_saving_the_same_definition_again_makes_no_version(db):
    workflow = make()

    services.workflow_update(workflow=workflow, data={"steps": STEPS}, partial=True)

    assert Workflow.objects.get().version == 1
    assert len(versions(workflow)) == 1


def test_rollback_makes_a_new_version_equal_to_the_old_one(db):
    workflow = make(timeout=1000)
    services.workflow_update(workflow=workflow, data={"steps": STEPS_V2, "timeout": 2000}, partial=True)

    rolled = services.workflow_rollback(workflow=workflow, version=1)

    assert rolled.version == 3
    assert (rolled.steps, rolled.timeout) == (STEPS, 1000)
    first, second, third = versions(workflow)
    assert third.definition() == first.definition() != second.definition()
    assert third.comment == "Rolled back to version 1"


def test_rollback_to_the_current_definition_changes_nothing(db):
    workflow = make()

    rolled = services.workflow_rollback(workflow=workflow, version=1)

    assert rolled.version == 1
    assert len(versions(workflow)) == 1


def test_rollback_to_a_missing_version_names_the_field(db):
    workflow = make()

    with pytest.raises(DefinitionError) as error:
        services.workflow_rollback(workflow=workflow, version=7)

    assert error.value.errors == [{"path": "version", "message": "This workflow has no version 7."}]


def test_a_version_cannot_be_changed_once_written(db):
    [version] = versions(make())
    version.steps = STEPS_V2

    with pytest.raises(ValueError, match="immutable"):
        version.save()
    assert WorkflowVersion.objects.get().steps == STEPS


def test_deleting_a_workflow_deletes_its_versions(db):
    workflow = make()

    services.workflow_delete(workflow=workflow)

    assert not WorkflowVersion.objects.exists()


def test_the_migration_records_the_current_version_of_existing_workflows(db):
    from importlib import import_module

    migration = import_module("workflows.migrations.0003_workflowversion")
    workflow = make()
    Workflow.objects.filter(pk=workflow.pk).update(version=4, timeout=900)
    WorkflowVersion.objects.all().delete()

    migration.record_current_versions(django_apps, None)

    [recorded] = versions(workflow)
    assert (recorded.version, recorded.steps, recorded.timeout) == (4, STEPS, 900)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_concurrent_updates_each_make_their_own_version(transactional_db):
    workflow = make()
    threads_count = 8
    barrier = threading.Barrier(threads_count)
    failures = []

    def change(timeout):
        try:
            barrier.wait()
            services.workflow_update(workflow=workflow, data={"timeout": timeout}, partial=True)
        except Exception as error:  # reported by the assertion below
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=change, args=(1000 + n,)) for n in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    recorded = versions(workflow)
    assert [v.version for v in recorded] == list(range(1, threads_count + 2))
    assert sorted(v.timeout for v in recorded[1:]) == [1000 + n for n in range(threads_count)]
    assert Workflow.objects.get().version == threads_count + 1
    # The workflow holds what the last version recorded.
    assert Workflow.objects.get().timeout == recorded[-1].timeout
