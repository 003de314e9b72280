"""Worker processes the dramatiq command starts set their start-up objects aside; in-process workers do not."""

import gc

from orchestration_site.broker import FreezeAfterProcessBoot


def test_an_in_process_worker_leaves_the_collector_alone():
    before = gc.get_freeze_count()

    FreezeAfterProcessBoot().before_worker_boot(broker=None, worker=None)

    assert gc.get_freeze_count() == before


def test_a_worker_process_freezes_what_it_loaded():
    middleware = FreezeAfterProcessBoot()
    middleware.after_process_boot(broker=None)
    try:
        middleware.before_worker_boot(broker=None, worker=None)

        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
