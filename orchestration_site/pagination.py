"""Page-number pagination with a client-chosen page size (capped), and a bounded count."""

import json
import threading
import time

from django.core.exceptions import EmptyResultSet
from django.core.paginator import EmptyPage, Page, Paginator
from django.db import connections
from django.utils.functional import cached_property
from rest_framework.pagination import PageNumberPagination

# Lists count exactly up to this many matching rows; past it, `count` is PostgreSQL's estimate.
EXACT_COUNT_LIMIT = 10_000
# An estimate is reused this long for the same query, and so is the finding that the query
# matches more than EXACT_COUNT_LIMIT rows: a busy list neither recounts nor asks the planner.
ESTIMATE_SECONDS = 10.0
_estimates = {}
_estimates_lock = threading.Lock()


def _key(queryset):
    """The estimate cache's key for a queryset; None when it can match nothing (it has no SQL)."""
    try:
        return (queryset.db, str(queryset.query))
    except EmptyResultSet:
        return None


def _fresh(key):
    with _estimates_lock:
        cached = _estimates.get(key)
    return cached[1] if cached is not None and cached[0] > time.monotonic() else None


def planner_estimate(queryset):
    """PostgreSQL's estimate of the rows a queryset matches (EXPLAIN), reused for ESTIMATE_SECONDS."""
    key = _key(queryset)
    cached = _fresh(key)
    if cached is not None:
        return cached
    plan = json.loads(queryset.explain(format="json"))
    rows = int(plan[0]["Plan"]["Plan Rows"])
    with _estimates_lock:
        if len(_estimates) > 256:  # distinct filters: keep the cache small
            _estimates.clear()
        _estimates[key] = (time.monotonic() + ESTIMATE_SECONDS, rows)
    return rows


class BoundedCountPaginator(Paginator):
    """Count at most EXACT_COUNT_LIMIT + 1 rows; past that, ask the planner for its estimate.

    COUNT(*) reads every matching row, so an exact count of 100 000 executions would cost a list
    request ten times what it costs at 10 000 (Django's admin avoids it the same way, with
    `show_full_result_count`). Pages themselves are read through an index either way. A query
    found past the bound is not recounted while its estimate is fresh: for up to
    ESTIMATE_SECONDS, a list that shrinks below the bound still shows an estimate.

    An estimate can fall short of the rows (statistics older than the rows, a filter the
    planner misjudges), so past the bound the pages do not end where the estimate says: a page
    exists if it has rows, it has a next one if a row follows it, and `count` is never below
    the rows a page has shown to be there.
    """

    estimated = False  # whether `count` is the planner's estimate

    @cached_property
    def count(self):
        queryset = self.object_list
        if not hasattr(queryset, "query") or connections[queryset.db].vendor != "postgresql":
            return super().count
        unordered = queryset.order_by()
        # Keyed by the query's SQL, which costs a compilation: only once some list went past the bound.
        recent = _fresh(_key(unordered)) if _estimates else None
        if recent is not None:
            self.estimated = True
            return max(EXACT_COUNT_LIMIT + 1, recent)
        counted = unordered[: EXACT_COUNT_LIMIT + 1].count()
        if counted <= EXACT_COUNT_LIMIT:
            return counted
        self.estimated = True
        return max(counted, planner_estimate(unordered))

    def validate_number(self, number):
        try:
            return super().validate_number(number)  # counts: `estimated` is known after it
        except EmptyPage:
            # Past the bound the last page is the estimate's, not the rows': page() finds out.
            if not self.estimated or int(number) < 1:
                raise
            return int(number)

    def page(self, number):
        number = self.validate_number(number)
        if not self.estimated:
            return super().page(number)
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page + 1])
        if not rows and number > 1:
            raise EmptyPage(self.error_messages["no_results"])
        if bottom + len(rows) > self.count:
            self.count = bottom + len(rows)  # and `num_pages` with it
            self.__dict__.pop("num_pages", None)
        return PagePastTheBound(rows[: self.per_page], number, self, followed=len(rows) > self.per_page)


class PagePastTheBound(Page):
    """A page of a list whose count is an estimate: whether a next page exists was read, not computed."""

    def __init__(self, object_list, number, paginator, followed):
        super().__init__(object_list, number, paginator)
        self.followed = followed

    def has_next(self):
        return self.followed


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "pageSize"
    max_page_size = 500
    django_paginator_class = BoundedCountPaginator


class ExactCountPagination(Pagination):
    """For a list its parent bounds (one run's step records): counted exactly, however long.

    Such a list's rows are found through the parent's index, and its pages cost more than
    its count; the planner's estimate for one parent's rows is a guess from statistics.
    """

    django_paginator_class = Paginator
