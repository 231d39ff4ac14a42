#!/usr/bin/env bash
# A throwaway private container registry: Debian's docker-registry
# (distribution 2.8) with htpasswd (bcrypt) auth, over plain HTTP on a free
# loopback port, in its own temp folder. dockerd treats 127.0.0.0/8 registries
# as insecure-allowed, so no TLS and no daemon configuration are needed.
#
#   script/setup-registry.sh start      prints COD_REGISTRY_* lines on stdout
#   script/setup-registry.sh stop DIR   kills the registry it started and removes DIR
#   script/setup-registry.sh --install  only installs the packages (.ci/run calls this)
#
# Installs docker-registry and apache2-utils (for htpasswd) when missing (needs
# root). Progress goes to stderr; on failure the registry's log tail is shown.
set -euo pipefail

log() { echo "setup-registry: $*" >&2; }

alive() {
  local state
  state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$state" ] && [ "$state" != Z ]
}

# Only the pid recorded in DIR/pid is killed, and only if it is still the
# registry (a recycled pid is left alone).
stop_dir() {
  local dir=$1 pid
  [ -d "$dir" ] || return 0
  if [ -f "$dir/pid" ]; then
    pid=$(cat "$dir/pid")
    if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = docker-registry ]; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 30); do
        alive "$pid" || break
        sleep 0.1
      done
      alive "$pid" && kill -KILL "$pid" 2>/dev/null
    fi
  fi
  rm -rf "$dir"
}

if [ "${1:-}" = stop ]; then
  [ -n "${2:-}" ] || { log "usage: $0 stop DIR"; exit 2; }
  stop_dir "$2"
  exit 0
fi
mode=${1:-start}
if [ "$mode" != start ] && [ "$mode" != --install ]; then
  log "usage: $0 start | $0 stop DIR | $0 --install"
  exit 2
fi

if ! command -v docker-registry >/dev/null 2>&1 || ! command -v htpasswd >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ]; then
    log "docker-registry or htpasswd is missing; run as root or apt-get install docker-registry apache2-utils."
    exit 1
  fi
  log "installing docker-registry apache2-utils"
  apt-get update -qq
  # The package's own service is not wanted (it would listen on :5000):
  # policy-rc.d exit code 101 keeps invoke-rc.d from starting it.
  policy=/usr/sbin/policy-rc.d
  own_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod +x "$policy"
    own_policy=1
  fi
  status=0
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=300 \
    --no-install-recommends docker-registry apache2-utils >/dev/null || status=$?
  [ "$own_policy" = 1 ] && rm -f "$policy"
  [ "$status" = 0 ] || exit "$status"
fi
[ "$mode" = --install ] && exit 0

free_port() {
  local port
  for _ in $(seq 1 100); do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  log "no free loopback port found"
  return 1
}

dir=$(mktemp -d "${TMPDIR:-/tmp}/cod-registry.XXXXXX")

fail() {
  log "$*"
  if [ -s "$dir/registry.log" ]; then
    echo "--- registry log" >&2
    tail -15 "$dir/registry.log" >&2
  fi
  stop_dir "$dir"
  exit 1
}
trap 'fail "failed at line $LINENO"' ERR

username=cod-test
password=$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')
# From stdin (-i), so the password is not on a command line.
printf '%s' "$password" | htpasswd -B -i -c "$dir/htpasswd" "$username" 2>/dev/null
mkdir "$dir/data"

port=""
for _ in 1 2 3; do
  candidate=$(free_port)
  cat >"$dir/config.yml" <<EOF
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$candidate
  secret: $(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
auth:
  htpasswd:
    realm: cod-test
    path: $dir/htpasswd
EOF
  docker-registry serve "$dir/config.yml" >"$dir/registry.log" 2>&1 &
  echo $! >"$dir/pid"
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then
      port=$candidate
      break 2
    fi
    alive "$(cat "$dir/pid")" || break
    sleep 0.1
  done
  kill -KILL "$(cat "$dir/pid")" 2>/dev/null || true
  # Only a lost race for the port is worth another try.
  grep -q -i 'address already in use' "$dir/registry.log" || break
  log "127.0.0.1:$candidate was taken meanwhile; trying another port"
done
[ -n "$port" ] || fail "docker-registry did not start"

trap - ERR
log "docker-registry on 127.0.0.1:$port"
echo "COD_REGISTRY=127.0.0.1:$port"
echo "COD_REGISTRY_USERNAME=$username"
echo "COD_REGISTRY_PASSWORD=$password"
echo "COD_REGISTRY_DIR=$dir"
