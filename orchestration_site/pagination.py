"""Page-number pagination with a client-chosen page size (capped), and a bounded count."""

import json

from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property
from rest_framework.pagination import PageNumberPagination

# Lists count exactly up to this many matching rows; past it, `count` is PostgreSQL's estimate.
EXACT_COUNT_LIMIT = 10_000


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
        plan = json.loads(unordered.explain(format="json"))
        return max(counted, int(plan[0]["Plan"]["Plan Rows"]))


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "pageSize"
    max_page_size = 500
    django_paginator_class = BoundedCountPaginator
