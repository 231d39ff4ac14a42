/** Loads ssh2 for an ssh:// DOCKER_HOST (a stand-in takes its place in dist/ until then). */
export function loadSsh2(): Promise<void>
/** Loads undici, which @actions/http-client needs behind a proxy (a stand-in takes its place in dist/ until then). */
export function loadUndici(): Promise<void>
