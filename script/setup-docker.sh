#!/usr/bin/env bash
# Makes sure a Docker engine answers on this machine, installing Debian's
# docker.io and busybox-static (for the test images) when they are missing.
# Used by .ci/run, `npm run example` and the test setup; safe to run again.
set -euo pipefail

need=()
command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
[ -x /bin/busybox ] && file -L /bin/busybox 2>/dev/null | grep -q 'statically linked' || need+=(busybox-static)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "setup-docker: ${need[*]} missing; run as root or install them with apt-get." >&2
    exit 1
  fi
  echo "setup-docker: installing ${need[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" file >/dev/null
fi

if docker version >/dev/null 2>&1; then
  exit 0
fi

# A session's processes are killed before CI, leaving a stale pid file that
# makes a new dockerd refuse to start.
if [ -f /var/run/docker.pid ] && ! kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
  rm -f /var/run/docker.pid
fi
echo "setup-docker: starting dockerd (log: /tmp/dockerd.log)" >&2
nohup dockerd >/tmp/dockerd.log 2>&1 &
for _ in $(seq 1 60); do
  if docker version >/dev/null 2>&1; then
    exit 0
  fi
  sleep 1
done
echo "setup-docker: dockerd did not answer within 60 s; see /tmp/dockerd.log:" >&2
tail -20 /tmp/dockerd.log >&2
exit 1
