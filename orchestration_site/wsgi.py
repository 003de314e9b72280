"""
WSGI config for orchestration_site project.

It exposes the WSGI callable as a module-level variable named ``application``.

For more information on this file, see
https://docs.djangoproject.com/en/5.2/howto/deployment/wsgi/
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orchestration_site.settings")

application = get_wsgi_application()

from orchestration_site.startup import freeze_start_up_objects, load_views  # noqa: E402

load_views()
freeze_start_up_objects()

# With the in-process broker, start its worker with the server (not at the first run), so the
# recovery sweep and the scheduler run from the start and `make run`'s schedules fire.
from django.conf import settings  # noqa: E402

if settings.EMBEDDED_WORKER:
    from orchestration_site.broker import ensure_embedded_worker

    ensure_embedded_worker(settings.EMBEDDED_WORKER_THREADS)
