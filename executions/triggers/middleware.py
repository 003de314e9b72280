"""Dramatiq middleware: a scheduler thread in every worker process (the embedded worker's too)."""

import threading

from django.conf import settings
from django.db import connection
from dramatiq.middleware import Middleware


class Scheduler(Middleware):
    """Fire due schedules from each worker process; the firing's unique constraint keeps it once."""

    def __init__(self):
        self.stop = threading.Event()
        self.thread = None

    def after_worker_boot(self, broker, worker):
        if not settings.TRIGGERS["SCHEDULER_IN_WORKERS"]:
            return
        self.stop.clear()
        self.thread = threading.Thread(target=self._loop, daemon=True, name="scheduler")
        self.thread.start()

    def before_worker_shutdown(self, broker, worker):
        self.stop.set()
        if self.thread is not None:
            self.thread.join(timeout=30)  # let a tick in progress commit before the process exits
            self.thread = None

    def _loop(self):
        from executions.triggers.schedule import scheduler_run

        try:
            scheduler_run(stop=self.stop)
        finally:
            connection.close()
