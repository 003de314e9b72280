"""`manage.py benchmark`: engine scenarios measured beside bare baselines in the same run.

`registry` holds the scenarios (one module each under `scenarios/`), `server` the loopback HTTP
server they call, `harness` the database, broker and worker processes they run on, and `table`
the printed result.
"""
