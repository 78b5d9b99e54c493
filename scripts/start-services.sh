#!/usr/bin/env bash
# Start the local MariaDB and PostgreSQL when they are down, and wait until both answer.
set -euo pipefail

if ! pg_isready -q -h /run/postgresql 2>/dev/null; then
  echo "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
fi
if ! mariadb-admin ping --silent >/dev/null 2>&1; then
  echo "starting MariaDB"
  mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql
fi
for _ in $(seq 1 60); do
  if pg_isready -q -h /run/postgresql && mariadb-admin ping --silent >/dev/null 2>&1; then
    exit 0
  fi
  sleep 1
done
echo "databases did not come up" >&2
exit 1
