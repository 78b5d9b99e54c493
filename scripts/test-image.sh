#!/usr/bin/env bash
# Test the image scripts/build-image.sh built, as users run it:
#   - its metadata (user, entrypoint, cmd, workdir, env, port, stop signal, OCI labels);
#   - `gosqlguard version` prints the stamped version and commit; the client tools run;
#   - a one-shot `gosqlguard backup` of a scratch MariaDB database (dedicated user, password as a
#     mounted secret file) and a scratch PostgreSQL database, with the config file mounted at
#     /etc/gosqlguard/gosqlguard.yaml, a read-only root file system, a tmpfs /tmp and the host
#     network, as the image's user 10001; the host then reads the backups with zstd -dc;
#   - `gosqlguard serve` as the container's PID 1 answers /healthz and stops cleanly on SIGTERM;
#   - the image's binary as PID 1 of a fresh PID namespace (unshare) drains on SIGTERM.
# When `podman run` cannot start containers on this host, the same runs happen in a chroot of the
# mounted image inside new mount and PID namespaces (unshare), and the script says so.
#
# Needs root, podman, zstd, curl, mariadb and psql clients, and the local MariaDB (127.0.0.1:3306,
# root) and PostgreSQL (127.0.0.1:5432, postgres, trust) servers.
# Usage: scripts/test-image.sh [IMAGE]   (default localhost/gosqlguard:VERSION, as build-image.sh)
# Environment: VERSION, COMMIT (expected stamps; default from git), STORAGE_DRIVER,
#   RUN_MODE=chroot to skip podman run and use the chroot fallback.
# Ends with "N passed, N failed"; exits 1 when a check failed.
# shellcheck disable=SC2016,SC2001 # single-quoted $ and backquotes are meant literally
set -euo pipefail
cd "$(dirname "$0")/.."

t_start=$(date +%s)
VERSION=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
COMMIT=${COMMIT:-$(git rev-parse HEAD 2>/dev/null || true)}
tag=$(printf '%s' "$VERSION" | tr -c 'A-Za-z0-9_.-' '-' | cut -c1-128)
case "$tag" in ''|[.-]*) tag="v$tag" ;; esac
IMAGE=${1:-${IMAGE:-localhost/gosqlguard:$tag}}
store=()
[ -n "${STORAGE_DRIVER:-}" ] && store=(--storage-driver "$STORAGE_DRIVER")
pm() { podman "${store[@]}" "$@"; }

passed=0 failed=0
ok() { passed=$((passed + 1)); echo "ok   - $*"; }
fail() { failed=$((failed + 1)); echo "FAIL - $*"; }
check() { # check DESCRIPTION COMMAND...: ok when COMMAND succeeds
  local what=$1; shift
  if "$@"; then ok "$what"; else fail "$what"; fi
}
finish() {
  echo "test-image: $(($(date +%s) - t_start))s"
  echo "$passed passed, $failed failed"
  [ "$failed" = 0 ]
}

pm image exists "$IMAGE" || { echo "test-image: no image $IMAGE (run scripts/build-image.sh)" >&2; exit 1; }
echo "test-image: testing $IMAGE"

suffix=$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
work=$(mktemp -d /tmp/gsg-image-test.XXXXXX)
chmod 0755 "$work"
db=imgtest_$suffix
dbuser=gsgimg_$suffix
containers=()
mnt=
cleanup() {
  set +e
  for c in "${containers[@]}"; do pm rm -f -t 0 "$c" >/dev/null 2>&1; done
  [ -n "$mnt" ] && pm image unmount "$IMAGE" >/dev/null 2>&1
  mariadb -h 127.0.0.1 -u root -e "DROP DATABASE IF EXISTS \`$db\`; DROP USER IF EXISTS '$dbuser'@'127.0.0.1'" 2>/dev/null
  psql -h 127.0.0.1 -U postgres -d postgres -qc "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

# --- metadata ----------------------------------------------------------------------------------
inspect() { pm image inspect --format "$1" "$IMAGE"; }
eq() { # eq WHAT GOT WANT
  if [ "$2" = "$3" ]; then ok "$1 = $3"; else fail "$1: got '$2', want '$3'"; fi
}
eq "user" "$(inspect '{{.Config.User}}')" "10001:10001"
eq "entrypoint" "$(inspect '{{json .Config.Entrypoint}}')" '["gosqlguard"]'
eq "cmd" "$(inspect '{{json .Config.Cmd}}')" '["serve"]'
eq "workdir" "$(inspect '{{.Config.WorkingDir}}')" "/var/lib/gosqlguard"
eq "stop signal" "$(inspect '{{.Config.StopSignal}}')" "SIGTERM"
eq "exposed ports" "$(inspect '{{range $p, $_ := .Config.ExposedPorts}}{{$p}} {{end}}')" "8080/tcp "
check "env GOSQLGUARD_CONFIG=/etc/gosqlguard/gosqlguard.yaml" \
  grep -qx 'GOSQLGUARD_CONFIG=/etc/gosqlguard/gosqlguard.yaml' <<<"$(inspect '{{range .Config.Env}}{{println .}}{{end}}')"
label() { inspect "{{index .Labels \"org.opencontainers.image.$1\"}}"; }
eq "label version" "$(label version)" "$VERSION"
eq "label revision" "$(label revision)" "$COMMIT"
eq "label title" "$(label title)" "gosqlguard"
check "label source and description set" test -n "$(label source)" -a -n "$(label description)"
size=$(inspect '{{.Size}}')
echo "test-image: image size $((size / 1000000)) MB"

# --- how containers run here ----------------------------------------------------------------------
# Plain `podman run` first; hosts whose cgroups crun cannot use (v1/v2 hybrid) or that forbid
# raising resource limits need runc and limits no higher than the caller's.
mode=
run_opts=()
candidates=("" "--runtime runc --ulimit nofile=$(ulimit -Hn):$(ulimit -Hn) --ulimit nproc=4096:4096")
[ "${RUN_MODE:-}" = chroot ] && candidates=()
for candidate in "${candidates[@]}"; do
  read -r -a opts <<<"$candidate"
  if out=$(pm run --rm "${opts[@]}" "$IMAGE" version 2>&1); then
    mode=podman run_opts=("${opts[@]}")
    echo "test-image: podman run works with options: ${candidate:-(none)}"
    break
  fi
  echo "test-image: podman run ${candidate:-(no options)} failed: $(tail -1 <<<"$out")"
done
if [ -z "$mode" ]; then
  mode=chroot
  mnt=$(pm image mount "$IMAGE")
  echo "test-image: podman run cannot start containers here; running the image's files in a chroot"
  echo "test-image: (not proven in this mode: the OCI runtime's handling of --read-only, --tmpfs, --user, ENTRYPOINT/CMD)"
fi

# run_image [-v HOST:CTR[:ro] | -e NAME=VALUE]... -- ARGS...: the image's entrypoint with ARGS, as
# its user, with a read-only root, a tmpfs /tmp and the host network.
run_image() {
  local vols=() envs=()
  while [ "$1" != "--" ]; do
    case "$1" in -v) vols+=("$2") ;; -e) envs+=("$2") ;; esac
    shift 2
  done
  shift
  if [ "$mode" = podman ]; then
    local v=()
    for m in "${vols[@]}"; do v+=(-v "$m"); done
    for e in "${envs[@]}"; do v+=(-e "$e"); done
    pm run --rm "${run_opts[@]}" --network host --read-only --tmpfs /tmp:rw,nosuid,nodev,mode=1777 \
      "${v[@]}" "$IMAGE" "$@"
  else
    # The image's own settings, by hand: user, workdir and env from its config, and the mounts.
    local script='set -e; r=$1; shift; mount --bind "$r" "$r"; mount -o remount,bind,ro "$r";'
    script+=' mount -t proc proc "$r/proc"; mount -t tmpfs -o mode=1777 tmpfs "$r/tmp";'
    script+=' mount -t tmpfs -o mode=0755 tmpfs "$r/run";'
    script+=' mount --bind /etc/resolv.conf "$r/etc/resolv.conf" 2>/dev/null || true;'
    for m in "${vols[@]}"; do
      IFS=: read -r h c o <<<"$m"
      # A file whose target is missing in the read-only image: bind its directory instead.
      if [ -f "$h" ] && [ ! -e "$mnt$c" ]; then h=$(dirname "$h") c=$(dirname "$c"); fi
      script+=" [ -e \"\$r$c\" ] || mkdir -p \"\$r$c\"; mount --bind '$h' \"\$r$c\";"
      [ "$o" = ro ] && script+=" mount -o remount,bind,ro \"\$r$c\";"
    done
    script+=' exec chroot --userspec=10001:10001 "$r" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
    script+=' GOSQLGUARD_CONFIG=/etc/gosqlguard/gosqlguard.yaml HOME=/var/lib/gosqlguard'
    for e in "${envs[@]}"; do script+=" '$e'"; done
    script+=' sh -c '\''cd /var/lib/gosqlguard && exec gosqlguard "$@"'\'' gosqlguard "$@"'
    unshare --mount --pid --fork --propagation private sh -c "$script" sh "$mnt" "$@"
  fi
}

# --- version and tools ---------------------------------------------------------------------------
out=$(run_image -- version 2>&1) || true
check "gosqlguard version prints $VERSION" grep -qx "gosqlguard $VERSION" <<<"$out"
check "gosqlguard version prints commit $COMMIT" grep -qx "commit: $COMMIT" <<<"$out"
if [ "$mode" = podman ]; then
  out=$(pm run --rm "${run_opts[@]}" --entrypoint id "$IMAGE" 2>&1) || true
  check "runs as uid 10001 gid 10001 ($out)" grep -q '^uid=10001(gosqlguard) gid=10001(gosqlguard)' <<<"$out"
  for t in "mariadb-dump --version" "mariadb --version" "pg_dump --version" "pg_restore --version" "psql --version"; do
    read -r -a tv <<<"$t"
    out=$(pm run --rm "${run_opts[@]}" --read-only --entrypoint "${tv[0]}" "$IMAGE" "${tv[@]:1}" 2>&1) || true
    check "${tv[0]} runs: $(head -1 <<<"$out")" grep -qi 'ver\|PostgreSQL' <<<"$out"
  done
fi

# --- one-shot backups ----------------------------------------------------------------------------
password=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
mariadb -h 127.0.0.1 -u root <<SQL
CREATE DATABASE \`$db\`;
CREATE TABLE \`$db\`.widgets (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL);
INSERT INTO \`$db\`.widgets VALUES (1, 'sprocket'), (2, 'gear'), (3, 'flange');
CREATE USER '$dbuser'@'127.0.0.1' IDENTIFIED BY '$password';
GRANT SELECT, SHOW VIEW, TRIGGER, EVENT, LOCK TABLES ON \`$db\`.* TO '$dbuser'@'127.0.0.1';
GRANT SELECT ON mysql.proc TO '$dbuser'@'127.0.0.1';
SQL
psql -h 127.0.0.1 -U postgres -d postgres -qc "CREATE DATABASE $db" >/dev/null
psql -h 127.0.0.1 -U postgres -d "$db" -q >/dev/null <<SQL
CREATE TABLE gadgets (id int PRIMARY KEY, name text NOT NULL);
INSERT INTO gadgets VALUES (1, 'lever'), (2, 'pulley');
SQL

mkdir -p "$work/etc" "$work/secrets" "$work/state"
printf '%s\n' "$password" >"$work/secrets/mysql-password"
chown 10001:10001 "$work/secrets/mysql-password" "$work/state"
chmod 0400 "$work/secrets/mysql-password"
chmod 0750 "$work/state"
port=
for _ in $(seq 1 50); do
  p=$(shuf -i 20000-59999 -n 1)
  ss -Htln "sport = :$p" | grep -q . || { port=$p; break; }
done
[ -n "$port" ] || { echo "test-image: no free port" >&2; exit 1; }
cat >"$work/etc/gosqlguard.yaml" <<EOF
catalog: {driver: sqlite, dsn: /var/lib/gosqlguard/catalog.db}
servers:
  - {name: maria, type: mysql, host: 127.0.0.1, port: 3306, user: $dbuser,
     password_file: /run/secrets/mysql-password, databases: [$db]}
  - {name: pg, type: postgres, host: 127.0.0.1, port: 5432, user: postgres, databases: [$db]}
storages:
  - {name: local, type: local, path: /var/lib/gosqlguard/backups}
backup_types:
  daily: {schedule: "30 2 * * *"}
compression: {codec: zstd, level: 3}
http: {listen: "127.0.0.1:$port"}
daemon: {shutdown_timeout: 30s}
EOF
chmod 0644 "$work/etc/gosqlguard.yaml"
vols=(-v "$work/etc/gosqlguard.yaml:/etc/gosqlguard/gosqlguard.yaml:ro"
      -v "$work/secrets:/run/secrets:ro"
      -v "$work/state:/var/lib/gosqlguard")

if out=$(run_image "${vols[@]}" -- backup --type daily 2>&1); then rc=0; else rc=$?; fi
echo "$out" | sed 's/^/    | /'
check "one-shot backup exits 0 (got $rc)" test "$rc" = 0
maria_obj=$(find "$work/state/backups/maria/$db/daily" -name '*.sql.zst' 2>/dev/null | head -1)
pg_obj=$(find "$work/state/backups/pg/$db/daily" -name '*.zst' 2>/dev/null | head -1)
check "MariaDB backup object exists: ${maria_obj#"$work/state/"}" test -s "$maria_obj"
check "MariaDB dump has the table's CREATE" grep -q 'CREATE TABLE `widgets`' <<<"$(zstd -dc "$maria_obj" 2>/dev/null)"
check "MariaDB dump has the rows" grep -q "'flange'" <<<"$(zstd -dc "$maria_obj" 2>/dev/null)"
check "PostgreSQL backup object exists: ${pg_obj#"$work/state/"}" test -s "$pg_obj"
check "PostgreSQL dump lists the table" grep -q 'TABLE public gadgets' <<<"$(zstd -dc "$pg_obj" 2>/dev/null | pg_restore -l 2>/dev/null)"
check "files written by uid 10001" test "$(stat -c %u "$maria_obj")" = 10001
check "catalog at /var/lib/gosqlguard/catalog.db" test -s "$work/state/catalog.db"
check "no secret in the output" bash -c '! grep -qF "$1" <<<"$2"' _ "$password" "$out"
out=$(run_image "${vols[@]}" -- list 2>&1) || true
check "gosqlguard list shows both backups" test "$(grep -c "$db" <<<"$out")" -ge 2

# Configuration from GOSQLGUARD_* variables alone, on the image's own (empty) config file.
if out=$(run_image -v "$work/secrets:/run/secrets:ro" -v "$work/state:/var/lib/gosqlguard" \
  -e GOSQLGUARD_CATALOG_DSN=/var/lib/gosqlguard/catalog.db \
  -e GOSQLGUARD_SERVERS_0_NAME=maria -e GOSQLGUARD_SERVERS_0_TYPE=mysql \
  -e GOSQLGUARD_SERVERS_0_HOST=127.0.0.1 -e GOSQLGUARD_SERVERS_0_USER="$dbuser" \
  -e GOSQLGUARD_SERVERS_0_PASSWORD_FILE=/run/secrets/mysql-password \
  -e GOSQLGUARD_SERVERS_0_DATABASES="$db" \
  -e GOSQLGUARD_STORAGES_0_NAME=local -e GOSQLGUARD_STORAGES_0_TYPE=local \
  -e GOSQLGUARD_STORAGES_0_PATH=/var/lib/gosqlguard/backups \
  -- backup 2>&1); then rc=0; else rc=$?; fi
echo "$out" | sed 's/^/    | /'
check "backup configured by GOSQLGUARD_* variables only exits 0 (got $rc)" test "$rc" = 0
env_obj=$(find "$work/state/backups/maria/$db/manual" -name '*.sql.zst' 2>/dev/null | head -1)
check "its MariaDB dump has the table's CREATE" grep -q 'CREATE TABLE `widgets`' <<<"$(zstd -dc "$env_obj" 2>/dev/null)"

# --- serve as PID 1: /healthz, then SIGTERM --------------------------------------------------------
if [ "$mode" = podman ]; then
  name=gsg-image-test-$suffix
  containers+=("$name")
  v=(); for ((i = 1; i < ${#vols[@]}; i += 2)); do v+=(-v "${vols[i]}"); done
  pm run -d --name "$name" "${run_opts[@]}" --network host --read-only --tmpfs /tmp "${v[@]}" "$IMAGE" >/dev/null
  healthy=false
  for _ in $(seq 1 50); do
    if curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then healthy=true; break; fi
    sleep 0.2
  done
  check "serve (the default CMD) answers /healthz" $healthy
  check "gosqlguard is PID 1 in the container" \
    test "$(pm exec "$name" sh -c 'readlink /proc/1/exe')" = /usr/local/bin/gosqlguard
  # Drain: a backup running when SIGTERM comes finishes. A write lock on the table holds the dump
  # until the lock goes, about 4 s after the stop began.
  mariadb -h 127.0.0.1 -u root -e "LOCK TABLES \`$db\`.widgets WRITE; SELECT SLEEP(5); UNLOCK TABLES" \
    >/dev/null 2>&1 &
  locker=$!
  sleep 1
  started=$(curl -fsS -X POST -H 'Content-Type: application/json' \
    -d "{\"server\":\"maria\",\"database\":\"$db\"}" "http://127.0.0.1:$port/api/v1/backups" 2>&1) || true
  id=$(grep -o '[0-9]\{8\}T[0-9.]*Z-[0-9a-f]*' <<<"$started" | head -1)
  check "POST /api/v1/backups started a backup ($id)" test -n "$id"
  sleep 0.5
  t0=$(date +%s%N)
  pm stop -t 25 "$name" >/dev/null
  ms=$((($(date +%s%N) - t0) / 1000000))
  wait "$locker" || true
  code=$(pm inspect --format '{{.State.ExitCode}}' "$name")
  logs=$(pm logs "$name" 2>&1)
  check "SIGTERM stops serve with exit 0 (got $code)" test "$code" = 0
  check "SIGTERM waited for the running backup, not for the kill (${ms}ms, lock held ~4s, grace 25s)" \
    test "$ms" -ge 2500 -a "$ms" -lt 20000
  check "serve logged 'shutting down: waiting for running backups'" \
    grep -q 'shutting down: waiting for running backups' <<<"$logs"
  check "serve logged 'daemon stopped'" grep -q 'daemon stopped' <<<"$logs"
  out=$(run_image "${vols[@]}" -- list 2>&1) || true
  check "the drained backup $id is recorded success" grep -q "^$id.*success" <<<"$out"
fi

# The image's binary as PID 1 of a new PID namespace, signalled from outside as a runtime does.
[ -n "$mnt" ] || mnt=$(pm image mount "$IMAGE")
install -m 0755 "$mnt/usr/local/bin/gosqlguard" "$work/gosqlguard"
sed -i "s|/var/lib/gosqlguard|$work/state|; s|/run/secrets|$work/secrets|" "$work/etc/gosqlguard.yaml"
unshare --pid --fork --mount-proc "$work/gosqlguard" serve --config "$work/etc/gosqlguard.yaml" \
  >"$work/pid1.log" 2>&1 &
ns_parent=$!
pid1=
for _ in $(seq 1 50); do
  pid1=$(pgrep -P "$ns_parent" || true)
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && [ -n "$pid1" ] && break
  sleep 0.2
done
check "PID 1 of the namespace is gosqlguard ($pid1)" \
  test -n "$pid1" -a "$(awk '/^NSpid/ {print $NF}' "/proc/$pid1/status" 2>/dev/null)" = 1
t0=$(date +%s%N)
kill -TERM "$pid1" 2>/dev/null || true
if timeout 20 tail --pid="$ns_parent" -f /dev/null; then
  wait "$ns_parent" && rc=0 || rc=$?
else
  rc=timeout; kill -KILL "$ns_parent" 2>/dev/null || true
fi
ms=$((($(date +%s%N) - t0) / 1000000))
check "PID 1 drains on SIGTERM and exits 0 (rc $rc, ${ms}ms)" test "$rc" = 0
check "PID 1 logged 'daemon stopped'" grep -q 'daemon stopped' "$work/pid1.log"

finish
