"""Authentication backends: Django's model backend, with one query for a user's permissions."""

from django.contrib.auth import backends
from django.contrib.auth.models import Permission
from django.db.models import Q, Value
from django.db.models.functions import Concat

# A permission's name as has_perm() takes it: "app_label.codename".
PERMISSION_NAME = Concat("content_type__app_label", Value("."), "codename")


def permission_names(user):
    """The "app_label.codename" of a user's own and group permissions, as one query."""
    permissions = Permission.objects.filter(Q(user=user) | Q(group__user=user))
    return permissions.order_by().values_list(PERMISSION_NAME, flat=True)


class ModelBackend(backends.ModelBackend):
    """Load a user's own and group permissions together: every API read checks one, so it is per request."""

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            if user_obj.is_superuser:
                names = Permission.objects.values_list(PERMISSION_NAME, flat=True)
            else:
                names = permission_names(user_obj)
            user_obj._perm_cache = set(names)
        return user_obj._perm_cache
