#!/bin/sh
# The whole-step baseline: what the trivial job does, by hand with the docker
# CLI. Copies the input to a staging folder, runs the container with the same
# hardened flags, its stdout and stderr redirected into the results folder.
#   trivial-job.sh WORKSPACE RESULTS IMAGE SCRIPT DOCKER_RUN_FLAGS...
set -eu
workspace=$1 results=$2 image=$3 script=$4
shift 4
staging=$(mktemp -d)
cp -r "$workspace/data" "$staging/inputs"
mkdir -p "$results/outputs"
set +e
docker run --rm "$@" -v "$staging/inputs:/inputs:ro" -v "$results/outputs:/outputs" "$image" sh -c "$script" \
  >"$results/stdout" 2>"$results/stderr"
code=$?
set -e
printf %s "$code" >"$results/exitCode"
rm -rf "$staging"
exit "$code"
