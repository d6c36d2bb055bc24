#!/usr/bin/env bash
# Installs everything the test suite needs into .venv, then runs lint and the whole suite.
# Extra arguments go to pytest (for example: bash scripts/test.sh tests/evaluator -x).
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt

# The browser tests drive Debian's chromium; install it when we can (root with apt).
if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
.venv/bin/python manage.py makemigrations --check --dry-run
# Fewer bootstrap resamples than in production keep scoring in the tests quick; the interval code is the same.
export SCORING_BOOTSTRAP_RESAMPLES=${SCORING_BOOTSTRAP_RESAMPLES:-40}
exec .venv/bin/pytest "$@"
