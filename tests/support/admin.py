"""Signed-in admin clients for tests: staff users holding exactly the permissions a test names."""

import itertools

from django.contrib.auth.models import Permission, User
from django.test import Client

_numbers = itertools.count(1)


def staff_client(*permissions, staff=True):
    """A Client signed in as a new (staff) user holding `permissions` ("app_label.codename")."""
    user = User.objects.create_user(f"user{next(_numbers)}", password="pw", is_staff=staff)
    for name in permissions:
        app_label, codename = name.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    client = Client()
    client.force_login(user)
    return client


def messages_of(response):
    """The texts of the messages shown on a (followed) response."""
    return [str(message) for message in response.context["messages"]]
