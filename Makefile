# Shortcuts; the scripts under scripts/ are the real commands (see README).
.PHONY: install run test lint worker bench

install:
	python3 -m venv .venv && .venv/bin/pip install -r requirements-dev.txt

run:
	bash scripts/run.sh

test:
	bash scripts/test.sh

lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check .

worker:
	.venv/bin/celery -A leaderboard worker --loglevel INFO

bench:
	.venv/bin/python benchmarks/coco_speed.py
