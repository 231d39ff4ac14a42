#!/usr/bin/env bash
# A throwaway S3 server that checks SigV4 for real: Ceph's RADOS Gateway over
# one monitor and one in-memory OSD, on free loopback ports, in its own temp
# folder, so several copies can run side by side.
#
#   script/setup-radosgw.sh start   prints COD_S3_* lines (and COD_S3_DIR) on stdout
#   script/setup-radosgw.sh stop DIR   kills every daemon it started and removes DIR
#   script/setup-radosgw.sh --install  only installs the packages (.ci/run calls this)
#
# Installs Debian's radosgw, ceph-mon and ceph-osd when missing (needs root).
# Progress goes to stderr; on failure the daemons' log tails are shown there.
set -euo pipefail

log() { echo "setup-radosgw: $*" >&2; }

# Only processes this script started are in DIR/pids; the name check keeps a
# recycled pid from being killed by mistake. The data is thrown away, so there
# is no clean shutdown to wait for: SIGTERM, a short grace, then SIGKILL.
alive() {
  local state
  state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  # A zombie has exited already; only its reaping is pending.
  [ -n "$state" ] && [ "$state" != Z ]
}

stop_dir() {
  local dir=$1
  [ -d "$dir" ] || return 0
  if [ -f "$dir/pids" ]; then
    local pid name pids=()
    while read -r pid name; do
      if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$name" ]; then
        kill -TERM "$pid" 2>/dev/null || true
        pids+=("$pid")
      fi
    done <"$dir/pids"
    for _ in $(seq 1 20); do
      local any=0
      for pid in "${pids[@]}"; do alive "$pid" && any=1; done
      [ "$any" = 0 ] && break
      sleep 0.1
    done
    for pid in "${pids[@]}"; do alive "$pid" && kill -KILL "$pid" 2>/dev/null; done
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

need=0
for tool in radosgw radosgw-admin ceph-mon ceph-osd ceph monmaptool ceph-authtool; do
  command -v "$tool" >/dev/null 2>&1 || need=1
done
if [ "$need" = 1 ]; then
  if [ "$(id -u)" != 0 ]; then
    log "radosgw, ceph-mon or ceph-osd is missing; run as root or install them with apt-get."
    exit 1
  fi
  log "installing radosgw ceph-mon ceph-osd"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=300 \
    --no-install-recommends radosgw ceph-mon ceph-osd >/dev/null
fi
[ "$mode" = --install ] && exit 0

# A random port that nothing answers on. Another copy may pick the same one
# at the same moment; the daemon then fails to bind and start() tries again.
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

dir=$(mktemp -d "${TMPDIR:-/tmp}/cod-radosgw.XXXXXX")
conf="$dir/ceph.conf"
: >"$dir/pids"

fail() {
  log "$*"
  for f in "$dir"/log/*.log "$dir"/*.out; do
    [ -s "$f" ] || continue
    echo "--- $f" >&2
    tail -15 "$f" >&2
  done
  stop_dir "$dir"
  exit 1
}
trap 'fail "failed at line $LINENO"' ERR

# Runs a daemon in the foreground of a background job, so its pid is ours to
# record and to kill later.
daemon() {
  local name=$1
  shift
  "$@" -f >"$dir/$name.out" 2>&1 &
  echo "$! $(basename "$1" | cut -c1-15)" >>"$dir/pids"
}

ceph_() { timeout 30 ceph -c "$conf" --connect-timeout 10 "$@"; }

fsid=$(cat /proc/sys/kernel/random/uuid)
mkdir -p "$dir/mon/a" "$dir/osd/0" "$dir/run" "$dir/log"
mon_port=$(free_port)

# msgr2 only, so the monitor needs one port; auth none because the cluster is
# private to this folder (S3 requests are still signed and checked by rgw).
# Small placement-group counts keep rgw's dozen pools under the per-OSD limit,
# and memstore is capped so a runaway test cannot eat the machine.
cat >"$conf" <<EOF
[global]
fsid = $fsid
mon host = v2:127.0.0.1:$mon_port
ms bind msgr1 = false
ms bind ipv6 = false
public addr = 127.0.0.1
auth cluster required = none
auth service required = none
auth client required = none
auth allow insecure global id reclaim = true
ms mon client mode = crc
keyring = $dir/keyring
run dir = $dir/run
admin socket = $dir/run/\$name.asok
log file = $dir/log/\$name.log
log to stderr = false
err to stderr = true
pid file =
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon max pg per osd = 1000
mon warn on pool no redundancy = false
mon allow pool size one = true
mon data avail warn = 1
mon data avail crit = 0
osd objectstore = memstore
memstore device bytes = 1073741824
osd class update on start = false
osd crush update on start = false
osd data = $dir/osd/\$id
mon data = $dir/mon/\$id
[client.rgw.a]
rgw dns name = 127.0.0.1
rgw thread pool size = 64
rgw enable usage log = false
EOF

log "monitor on 127.0.0.1:$mon_port in $dir"
ceph-authtool --create-keyring "$dir/keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$mon_port]" "$dir/monmap" >/dev/null
ceph-mon -c "$conf" --mkfs -i a --monmap "$dir/monmap" --keyring "$dir/keyring"
daemon mon ceph-mon -c "$conf" -i a
ready=0
for _ in $(seq 1 30); do
  if ceph_ mon stat >/dev/null 2>&1; then ready=1; break; fi
  sleep 0.5
done
[ "$ready" = 1 ] || fail "the monitor did not answer on 127.0.0.1:$mon_port"

osd_uuid=$(cat /proc/sys/kernel/random/uuid)
osd_id=$(ceph_ osd create "$osd_uuid")
ceph-osd -c "$conf" -i "$osd_id" --mkfs --osd-uuid "$osd_uuid" >"$dir/osd-mkfs.out" 2>&1
# The crush map is filled in by hand because crush update on start is off
# (with it on, the OSD died with "wrong fsid" here).
ceph_ osd crush add-bucket local host >/dev/null 2>&1
ceph_ osd crush move local root=default >/dev/null 2>&1
ceph_ osd crush add "osd.$osd_id" 1.0 root=default host=local >/dev/null 2>&1
daemon osd ceph-osd -c "$conf" -i "$osd_id"
ready=0
for _ in $(seq 1 60); do
  if ceph_ osd dump 2>/dev/null | grep -q "^osd.$osd_id up"; then ready=1; break; fi
  sleep 0.5
done
[ "$ready" = 1 ] || fail "the OSD did not come up"

access_key="COD$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n' | tr a-f A-F)"
secret_key=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
rgw_port=""
for _ in 1 2 3; do
  port=$(free_port)
  daemon rgw radosgw -c "$conf" -n client.rgw.a --rgw-frontends "beast endpoint=127.0.0.1:$port"
  rgw_pid=$(tail -1 "$dir/pids" | cut -d' ' -f1)
  for _ in $(seq 1 120); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then rgw_port=$port; break 2; fi
    kill -0 "$rgw_pid" 2>/dev/null || break
    sleep 0.5
  done
  kill -KILL "$rgw_pid" 2>/dev/null || true
  # Only a lost race for the port is worth another try.
  grep -q -i 'address already in use' "$dir/rgw.out" "$dir/log/client.rgw.a.log" 2>/dev/null || break
  log "127.0.0.1:$port was taken meanwhile; trying another port"
done
[ -n "$rgw_port" ] || fail "radosgw did not start"

timeout 60 radosgw-admin -c "$conf" -n client.rgw.a user create --uid cod-test --display-name "cod test" \
  --access-key "$access_key" --secret-key "$secret_key" >/dev/null 2>"$dir/user.out" \
  || fail "radosgw-admin user create failed"

trap - ERR
log "radosgw on http://127.0.0.1:$rgw_port"
echo "COD_S3_ENDPOINT=http://127.0.0.1:$rgw_port"
echo "COD_S3_REGION=us-east-1"
echo "COD_S3_ACCESS_KEY=$access_key"
echo "COD_S3_SECRET_KEY=$secret_key"
echo "COD_S3_DIR=$dir"
