"""Dramatiq middleware: the recovery sweep in every worker process, and a graceful hand-over."""

import logging
import threading

from django.conf import settings
from django.db import close_old_connections, connection
from dramatiq.middleware import Middleware

logger = logging.getLogger(__name__)


class RecoverySweep(Middleware):
    """Sweep at worker start and every RECOVERY_INTERVAL_MS; on shutdown, stop running steps inline."""

    def __init__(self):
        self.stop = threading.Event()
        self.thread = None

    def after_worker_boot(self, broker, worker):
        from executions.engine import runner

        runner.STOPPING.clear()
        self.stop.clear()
        interval = settings.ORCHESTRATION["RECOVERY_INTERVAL_MS"]
        if interval > 0:
            self.thread = threading.Thread(target=self._loop, args=(interval / 1000,), daemon=True, name="recovery")
            self.thread.start()

    def before_worker_shutdown(self, broker, worker):
        from executions.engine import runner

        # In-flight steps finish and are recorded; the steps after them go back to the broker.
        runner.STOPPING.set()
        self.stop.set()

    def _loop(self, interval):
        from executions.recovery import recover

        while True:
            try:
                close_old_connections()
                recover()
            except Exception:  # a sweep that fails is retried at the next interval
                logger.exception("Recovery sweep failed")
            finally:
                connection.close()
            if self.stop.wait(interval):
                return
