"""Every endpoint needs a signed-in user; writes need the model's Django permission."""

from rest_framework.permissions import DjangoModelPermissions


class ModelPermissionsOrReadOnly(DjangoModelPermissions):
    """Reads for any authenticated user; POST/PUT/PATCH/DELETE need add/change/delete."""

    authenticated_users_only = True


def has_perm(*perms):
    """Return a permission class that requires an authenticated user with all `perms`."""

    class HasPerms(DjangoModelPermissions):
        def has_permission(self, request, view):
            return bool(request.user and request.user.is_authenticated and request.user.has_perms(perms))

    HasPerms.__name__ = "Has_" + "_".join(p.replace(".", "_") for p in perms)
    return HasPerms
