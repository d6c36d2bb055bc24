# Shortcuts; the scripts under scripts/ are the real commands (see README).
.PHONY: install run test lint worker beat bench

install:
	python3 -m venv .venv && .venv/bin/pip install -r requirements-dev.txt

run:
	bash scripts/run.sh

test:
	bash scripts/test.sh

lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/mypy

worker:
	.venv/bin/celery -A leaderboard worker --loglevel INFO

# Exactly one beat per deployment: it runs the periodic sweep that re-queues stale submissions.
beat:
	.venv/bin/celery -A leaderboard beat --loglevel INFO --schedule var/celerybeat-schedule

bench:
	.venv/bin/python -m benchmarks.coco_speed
