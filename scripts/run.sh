#!/usr/bin/env bash
# Installs the site into .venv, loads the demo benchmarks and starts the web server
# with a Celery worker (and its beat scheduler). With no settings it runs embedded:
# SQLite and a broker that needs no server. Set DATABASE_URL / CELERY_BROKER_URL
# to run on PostgreSQL and Redis. Stop with Ctrl-C or by killing this script.
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt

export DEBUG=${DEBUG:-true}

port=${PORT:-8000}

.venv/bin/python manage.py migrate --noinput
.venv/bin/python manage.py collectstatic --noinput >/dev/null
var=${VAR_DIR:-var}
mkdir -p "$var"
# The worker and the web server run in the background; `wait` lets a signal in at once, so
# Ctrl-C or `kill <pid of this script>` stops both, and so does either one exiting.
children=()
stop() { kill "${children[@]}" 2>/dev/null || true; wait "${children[@]}" 2>/dev/null || true; }
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
.venv/bin/celery -A leaderboard worker --beat --loglevel INFO --concurrency "${WORKER_CONCURRENCY:-2}" \
  --schedule "$var/celerybeat-schedule" >"$var/worker.log" 2>&1 &
children+=($!)
.venv/bin/python manage.py load_demo &
children+=($!)
wait $!
echo "Site: http://127.0.0.1:$port/  (worker log: $var/worker.log)"
.venv/bin/gunicorn leaderboard.wsgi --bind "${BIND:-127.0.0.1}:$port" --workers "${WEB_CONCURRENCY:-2}" --access-logfile - &
children+=($!)
wait -n
