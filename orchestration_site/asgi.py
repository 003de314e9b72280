"""
ASGI config for orchestration_site project.

It exposes the ASGI callable as a module-level variable named ``application``.

For more information on this file, see
https://docs.djangoproject.com/en/5.2/howto/deployment/asgi/
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orchestration_site.settings")

application = get_asgi_application()

from orchestration_site.startup import freeze_start_up_objects, load_views  # noqa: E402

load_views()
freeze_start_up_objects()
