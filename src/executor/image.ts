import type Docker from 'dockerode'
import type { ImageInspectInfo } from 'dockerode'
import type { JobSpec } from '../spec/job-spec.js'
import type { Log } from '../storage/types.js'

export interface PreparedImage {
  /** The local image ID (sha256 of its config): what the container is created from. */
  id: string
  /** The registry digest (`sha256:…`) when the image came from a registry, else the image ID. */
  digest: string
  platform: string
}

/**
 * Pulls the image as `pull` asks, then checks that its platform matches the
 * engine's before anything else happens, so a wrong-architecture image fails
 * in seconds with advice rather than with "exec format error" later.
 */
export async function prepareImage(docker: Docker, spec: JobSpec, log: Log): Promise<PreparedImage> {
  const reference = spec.image.reference
  let local = await inspectImage(docker, reference)
  if (spec.pull === 'never' && !local) {
    throw new Error(
      `Input 'image': ${reference} is not on the runner and pull is 'never'; build or load it in an earlier step, or set pull: missing.`
    )
  }
  if (spec.pull === 'always' || (spec.pull === 'missing' && !local)) {
    try {
      await log.group(`Pulling ${reference}`, () => pullImage(docker, reference, log))
      local = await inspectImage(docker, reference)
    } catch (error) {
      // A default `always` must not break the common "docker build, then run it" workflow.
      const builtHere = local && (local.RepoDigests ?? []).length === 0
      if (spec.pullExplicit || !builtHere) {
        throw new Error(`Input 'image': cannot pull ${reference}: ${(error as Error).message}`)
      }
      log.warning(`Could not pull ${reference} (${(error as Error).message}); using the image built on this runner.`)
    }
  }
  if (!local) throw new Error(`Input 'image': ${reference} is not on the runner after the pull.`)
  const engine = await docker.version()
  const platform = `${local.Os}/${local.Architecture}`
  const enginePlatform = `${engine.Os}/${engine.Arch}`
  if (platform !== enginePlatform) {
    throw new Error(
      `Input 'image': ${reference} is built for ${platform}, but this runner's Docker engine runs ${enginePlatform}. ` +
        `Rebuild or re-tag the image for ${enginePlatform} (e.g. docker buildx build --platform ${enginePlatform}).`
    )
  }
  return { id: local.Id, digest: registryDigest(local, reference) ?? local.Id, platform }
}

async function inspectImage(docker: Docker, reference: string): Promise<ImageInspectInfo | undefined> {
  try {
    return await docker.getImage(reference).inspect()
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return undefined
    throw error
  }
}

function registryDigest(image: ImageInspectInfo, reference: string): string | undefined {
  const repository = reference.replace(/@.*$/, '').replace(/:[^/:]+$/, '')
  const digests = image.RepoDigests ?? []
  const match = digests.find((d) => d.startsWith(`${repository}@`)) ?? digests[0]
  return match?.slice(match.indexOf('@') + 1)
}

interface PullEvent {
  id?: string
  status?: string
  progress?: string
  error?: string
}

/** Logs each layer's status changes, and byte progress at most every 3 s. */
async function pullImage(docker: Docker, reference: string, log: Log): Promise<void> {
  const stream = await docker.pull(reference)
  const lastStatus = new Map<string, string>()
  let lastProgressAt = 0
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (error: Error | null, events: PullEvent[]) => {
        const failed = error ?? events.find((e) => e.error)?.error
        if (failed) reject(failed instanceof Error ? failed : new Error(failed))
        else resolve()
      },
      (event: PullEvent) => {
        const key = event.id ?? ''
        if (event.status && lastStatus.get(key) !== event.status) {
          lastStatus.set(key, event.status)
          log.info(key ? `${key}: ${event.status}` : event.status)
        } else if (event.progress && Date.now() - lastProgressAt > 3000) {
          lastProgressAt = Date.now()
          log.info(`${key}: ${event.progress}`)
        }
      }
    )
  })
}
