"""Every endpoint needs a signed-in user with the model's Django permission, reads included."""

from rest_framework.permissions import DjangoModelPermissions

VIEW = ["%(app_label)s.view_%(model_name)s"]


class ModelPermissions(DjangoModelPermissions):
    """GET/HEAD need `view_<model>`; POST/PUT/PATCH/DELETE need add/change/delete."""

    authenticated_users_only = True
    perms_map = {**DjangoModelPermissions.perms_map, "GET": VIEW, "HEAD": VIEW}


def has_perm(*perms):
    """Return a permission class that requires an authenticated user with all `perms`."""

    class HasPerms(DjangoModelPermissions):
        def has_permission(self, request, view):
            return bool(request.user and request.user.is_authenticated and request.user.has_perms(perms))

    HasPerms.__name__ = "Has_" + "_".join(p.replace(".", "_") for p in perms)
    return HasPerms
