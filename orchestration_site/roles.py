"""The documented roles as Django groups: viewer, editor, operator.

Each role is a set of permissions; `roles_refresh` makes the groups hold exactly those (run after
every migrate and by `manage.py setup_roles`). Grant a role by adding a user to its group; for other
combinations make groups of your own: these three are reset to their definition.
"""

from django.apps import apps as global_apps
from django.contrib.auth.models import Group, Permission
from django.db.models import Q

# Apps whose records every role may read (each model's view_ permission).
VIEWED_APPS = ["workflows", "executions", "breakers", "audit"]
# Apps whose records an editor writes (each model's add_/change_/delete_ permission).
EDITED_APPS = ["workflows"]

OPERATOR_PERMISSIONS = [
    "executions.start_execution",
    "executions.operate_execution",
    "breakers.change_circuitbreaker",
    "breakers.delete_circuitbreaker",
]


def _codenames(*names):
    query = Q(pk__in=[])
    for name in names:
        app_label, codename = name.split(".")
        query |= Q(content_type__app_label=app_label, codename=codename)
    return query


def _view():
    return Q(content_type__app_label__in=VIEWED_APPS, codename__startswith="view_")


def _edit():
    query = Q(pk__in=[])
    for prefix in ("add_", "change_", "delete_"):
        query |= Q(content_type__app_label__in=EDITED_APPS, codename__startswith=prefix)
    return query


def role_permissions(role):
    """Return the permissions a role's group holds."""
    queries = {
        "viewer": _view(),
        "editor": _view() | _edit(),
        "operator": _view() | _codenames(*OPERATOR_PERMISSIONS),
    }
    return Permission.objects.filter(queries[role])


ROLES = ["viewer", "editor", "operator"]


def roles_refresh(*, using="default"):
    """Create the role groups, or reset them to their definition; return them by name."""
    groups = {}
    for role in ROLES:
        group, _ = Group.objects.using(using).get_or_create(name=role)
        group.permissions.set(role_permissions(role).using(using))
        groups[role] = group
    return groups


def refresh_roles_after_migrate(sender, using="default", **kwargs):
    """post_migrate receiver: refresh the roles once per migrate (or test flush).

    post_migrate is sent once per app with models, in INSTALLED_APPS order, and each app's
    permissions are created on its own turn: on the last app's, every permission exists.
    """
    with_models = [config for config in global_apps.get_app_configs() if config.models_module is not None]
    if with_models and sender is with_models[-1]:
        roles_refresh(using=using)
