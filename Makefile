# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# The demo's services live on this server: let HTTP steps reach loopback in development only.
DEV_ENV := DEBUG=$${DEBUG:-1} OUTBOUND_ALLOW_NETWORKS=$${OUTBOUND_ALLOW_NETWORKS-127.0.0.0/8,::1/128}

.PHONY: install run worker scheduler manage migrate demo test lint format clean bench

$(BIN)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

install: $(BIN)/.installed

migrate: install
	$(DEV_ENV) $(BIN)/python manage.py migrate --noinput

demo: migrate
	$(DEV_ENV) PORT=$(PORT) $(BIN)/python manage.py setup_demo

## Serve on 127.0.0.1:$(PORT) with an in-process worker (or the broker in DRAMATIQ_BROKER_URL).
run: demo
	$(DEV_ENV) $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

## Run Dramatiq workers against DRAMATIQ_BROKER_URL (redis://… or amqp://…).
worker: install
	$(DEV_ENV) dramatiq_worker_timeout=$${dramatiq_worker_timeout:-100} $(BIN)/python manage.py rundramatiq --processes $${WORKER_PROCESSES:-2} --threads $${WORKER_THREADS:-8}

## Fire SCHEDULE triggers (workers do it too; any number of schedulers may run at once).
scheduler: install
	$(DEV_ENV) $(BIN)/python manage.py run_scheduler

## Any management command with make run's development settings: make manage cmd='export_workflows'
manage: install
	$(DEV_ENV) PORT=$(PORT) $(BIN)/python manage.py $(cmd)

## Benchmark the engine beside bare baselines (docs/benchmarks.md), on DATABASE_URL/DRAMATIQ_BROKER_URL if set.
bench: install
	ALLOW_DEV_SECRET_KEY=1 $(BIN)/python manage.py migrate --noinput
	ALLOW_DEV_SECRET_KEY=1 $(BIN)/python manage.py benchmark $(BENCH_ARGS)

test: install
	$(BIN)/ruff check .
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-* .pytest_cache .ruff_cache
