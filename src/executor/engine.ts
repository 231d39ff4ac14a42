import Docker from 'dockerode'
import { loadSsh2 } from '../bundle/optional-modules.cjs'

/** The label every container we create carries, so the post step can find leftovers. */
export const RUN_LABEL = 'compute-over-data.run'

/**
 * Connects to the runner's Docker engine (DOCKER_HOST or the default socket)
 * and checks that it answers. The API version is left to negotiation: pinning
 * an old one broke other docker actions when runners moved to Docker 28.
 */
export async function connectDocker(): Promise<Docker> {
  // dist/ loads ssh2 on demand (see src/bundle/loaded.cjs): only an ssh:// host needs it.
  if (/^ssh:/i.test(process.env.DOCKER_HOST ?? '')) await loadSsh2()
  const docker = new Docker()
  try {
    await docker.ping()
  } catch (error) {
    const where = process.env.DOCKER_HOST ?? '/var/run/docker.sock'
    throw new Error(
      `Cannot reach the Docker engine at ${where} (${(error as Error).message}). ` +
        "This action runs the container on the runner's own Docker engine: use a Linux runner such as ubuntu-latest, " +
        "or on a self-hosted runner start dockerd and give the runner's user access to its socket (or set DOCKER_HOST)."
    )
  }
  return docker
}
