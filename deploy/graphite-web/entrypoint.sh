#!/bin/sh
# Prepares graphite-web's small sqlite database, then serves on :8080. Settings come from
# /etc/graphite/local_settings.py, driven by GRAPHITE_* environment variables.
set -e
export PYTHONPATH=/etc/graphite GRAPHITE_SETTINGS_MODULE=local_settings
mkdir -p "${GRAPHITE_STORAGE_DIR:-/var/lib/graphite}" "${GRAPHITE_LOG_DIR:-/var/log/graphite}"
django-admin migrate --settings=graphite.settings --run-syncdb --noinput >/dev/null
exec gunicorn --bind 0.0.0.0:8080 --workers "${GRAPHITE_WEB_WORKERS:-2}" \
  --access-logfile - graphite.wsgi:application
