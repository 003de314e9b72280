"""Page-number pagination with a client-chosen page size (capped), and a bounded count."""

import json
import threading
import time

from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property
from rest_framework.pagination import PageNumberPagination

# Lists count exactly up to this many matching rows; past it, `count` is PostgreSQL's estimate.
EXACT_COUNT_LIMIT = 10_000
# An estimate is reused this long for the same query, so a busy list asks the planner rarely.
ESTIMATE_SECONDS = 10.0
_estimates = {}
_estimates_lock = threading.Lock()


def planner_estimate(queryset):
    """PostgreSQL's estimate of the rows a queryset matches (EXPLAIN), reused for ESTIMATE_SECONDS."""
    key = (queryset.db, str(queryset.query))
    now = time.monotonic()
    with _estimates_lock:
        cached = _estimates.get(key)
    if cached is not None and cached[0] > now:
        return cached[1]
    plan = json.loads(queryset.explain(format="json"))
    rows = int(plan[0]["Plan"]["Plan Rows"])
    with _estimates_lock:
        if len(_estimates) > 256:  # distinct filters: keep the cache small
            _estimates.clear()
        _estimates[key] = (now + ESTIMATE_SECONDS, rows)
    return rows


class BoundedCountPaginator(Paginator):
    """Count at most EXACT_COUNT_LIMIT + 1 rows; past that, ask the planner for its estimate.

    COUNT(*) reads every matching row, so an exact count of 100 000 executions would cost a list
    request ten times what it costs at 10 000 (Django's admin avoids it the same way, with
    `show_full_result_count`). Pages themselves are read through an index either way.
    """

    @cached_property
    def count(self):
        queryset = self.object_list
        if not hasattr(queryset, "query") or connections[queryset.db].vendor != "postgresql":
            return super().count
        unordered = queryset.order_by()
        counted = unordered[: EXACT_COUNT_LIMIT + 1].count()
        if counted <= EXACT_COUNT_LIMIT:
            return counted
        return max(counted, planner_estimate(unordered))


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "pageSize"
    max_page_size = 500
    django_paginator_class = BoundedCountPaginator
