'use strict'
/**
 * In dist/ only: dockerode and @actions/core load ssh2, gRPC and undici at
 * startup, but use them only for an ssh:// DOCKER_HOST, BuildKit sessions and
 * a proxy for the GitHub API. They were two thirds of the bundle and a fifth
 * of a trivial step's time, so the bundle maps them (tsconfig.bundle.json) to
 * the stand-ins in this folder, and the real module is loaded, as a chunk of
 * its own, by the code path that needs it (optional-modules.cjs). Run from
 * source (tests, bench) nothing here is used.
 */
module.exports = {}
