"""The DatabaseWrapper of ENGINE "orchestration_site.postgresql" (settings.py sets it for postgres:// URLs)."""

import select

from django.db.backends.postgresql import base
from psycopg2.extensions import TRANSACTION_STATUS_IDLE


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self):
        """Whether the connection still works, asking the server only when it may have left.

        Django asks before the first query of every request and every worker message
        (CONN_HEALTH_CHECKS), and its answer is a `SELECT 1`: one more round trip each time.
        Between statements the server sends nothing unless it ends the connection (a restart,
        a terminated backend, an idle timeout), and its last message or its FIN leaves the
        socket readable. A quiet socket needs no query; a readable one gets Django's, and so
        does a connection left inside a transaction (one that failed is not usable).
        """
        if self.connection is None or self.connection.closed:
            return False
        if self.connection.info.transaction_status != TRANSACTION_STATUS_IDLE:
            return super().is_usable()
        poller = select.poll()  # unlike select(), for any descriptor number
        try:
            poller.register(self.connection.fileno(), select.POLLIN)
            quiet = not poller.poll(0)
        except (OSError, ValueError, base.Database.Error):
            return False
        return quiet or super().is_usable()
