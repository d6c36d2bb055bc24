#!/usr/bin/env bash
# Installs everything the test suite needs into .venv, then runs lint and the whole suite.
# Extra arguments go to pytest (for example: bash scripts/test.sh tests/evaluator -x).
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$python" -m venv .venv
# pip resolves every requirement again even when all are installed (seconds): only when the files changed.
stamp=.venv/.requirements.sha256
wanted=$(cat requirements.txt requirements-dev.txt | sha256sum)
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
  echo "$wanted" >"$stamp"
fi

# The browser tests drive Debian's chromium; install it when we can (root with apt).
if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

# The engine's numba kernels compiled once into their on-disk cache (20 s of CPU on a fresh clone),
# beside the lint, instead of by each test process and live worker at the same time.
.venv/bin/python -c "from evaluator.warmup import warm_up; warm_up()" &
warm_pid=$!
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/python manage.py makemigrations --check --dry-run
wait "$warm_pid"
# mypy without its cache (a fresh clone) takes half a minute of one core: it runs beside pytest and
# its verdict comes at the end.
mypy_out=$(mktemp)
trap 'rm -f "$mypy_out"' EXIT
.venv/bin/mypy >"$mypy_out" 2>&1 &
mypy_pid=$!
# Fewer bootstrap resamples than in production keep scoring in the tests quick; the interval code is the same.
export SCORING_BOOTSTRAP_RESAMPLES=${SCORING_BOOTSTRAP_RESAMPLES:-40}
# Two test processes (pytest-xdist), each taking a whole test file at a time so that a module's live
# site starts once; the live-stack and browser files are handed out first (tests/conftest.py).
# TEST_PROCESSES=0 runs everything in this process.
status=0
.venv/bin/pytest --numprocesses "${TEST_PROCESSES:-2}" --dist loadfile "$@" || status=$?
mypy_status=0
wait "$mypy_pid" || mypy_status=$?
cat "$mypy_out"
[ "$mypy_status" = 0 ] || { echo "mypy failed" >&2; exit "$mypy_status"; }
exit "$status"
