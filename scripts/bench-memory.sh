#!/usr/bin/env bash
# Peak memory of one backup does not grow with the dump: back up a MariaDB
# database at two sizes (default ~100 MB and ~400 MB of SQL) and print the peak
# RSS of gosqlguard for each. Rerun with:  bash scripts/bench-memory.sh [rows...]
# Needs the local MariaDB (root over the socket) and /usr/bin/time.
set -euo pipefail
cd "$(dirname "$0")/.."

sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(500000 2000000)

work=$(mktemp -d)
db="gsg_bench_$$"
cleanup() { mariadb -e "DROP DATABASE IF EXISTS \`$db\`" || true; rm -rf "$work"; }
trap cleanup EXIT

CGO_ENABLED=0 go build -o "$work/gosqlguard" ./cmd/gosqlguard
cat > "$work/bench.yaml" <<YAML
catalog: {driver: sqlite, dsn: "$work/catalog.db"}
servers:
  - {name: bench, type: mysql, socket: /run/mysqld/mysqld.sock, user: root, databases: [$db]}
storages:
  - {name: local, type: local, path: "$work/backups"}
YAML

printf '%-10s %12s %12s %10s %14s\n' rows raw_MiB stored_MiB seconds peak_rss_MiB
for rows in "${sizes[@]}"; do
  mariadb -e "DROP DATABASE IF EXISTS \`$db\`; CREATE DATABASE \`$db\`"
  mariadb "$db" -e "CREATE TABLE t (id INT PRIMARY KEY, a CHAR(64), b VARCHAR(200), c DECIMAL(12,2), d DATETIME);
    INSERT INTO t SELECT seq, SHA2(seq, 256), CONCAT(REPEAT(MD5(seq), 3), ' ', seq), seq / 7, '2026-01-01' + INTERVAL seq SECOND FROM seq_1_to_$rows;"
  start=$(date +%s.%N)
  /usr/bin/time -f '%M' -o "$work/rss" "$work/gosqlguard" backup --config "$work/bench.yaml" --log-level error > "$work/out"
  end=$(date +%s.%N)
  id=$(cut -f1 "$work/out")
  "$work/gosqlguard" show "$id" -o json --config "$work/bench.yaml" > "$work/show.json"
  raw=$(grep -o '"raw_bytes": [0-9]*' "$work/show.json" | head -1 | grep -o '[0-9]*$')
  stored=$(grep -o '"stored_bytes": [0-9]*' "$work/show.json" | head -1 | grep -o '[0-9]*$')
  awk -v rows="$rows" -v raw="$raw" -v stored="$stored" -v s="$start" -v e="$end" -v rss="$(cat "$work/rss")" \
    'BEGIN { printf "%-10s %12.1f %12.1f %10.1f %14.1f\n", rows, raw/1048576, stored/1048576, e-s, rss/1024 }'
done
