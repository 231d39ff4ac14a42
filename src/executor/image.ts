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
 * Pulls the image as `pull` asks (with the registry credentials and platform
 * when given), then checks that its platform is the one wanted before
 * anything else happens, so a wrong-architecture image fails in seconds with
 * advice rather than with "exec format error" later.
 */
export async function prepareImage(docker: Docker, spec: JobSpec, log: Log): Promise<PreparedImage> {
  const reference = spec.image.reference
  const engine = await docker.version()
  const enginePlatform = `${engine.Os}/${engine.Arch}`
  if (spec.platform && !platformMatches(spec.platform, enginePlatform)) {
    log.warning(
      `platform is ${spec.platform} but this runner's Docker engine runs ${enginePlatform}: ` +
        'the image runs only if the runner emulates it (e.g. docker/setup-qemu-action).'
    )
  }
  let local = await inspectImage(docker, reference)
  if (spec.pull === 'never' && !local) {
    throw new Error(
      `Input 'image': ${reference} is not on the runner and pull is 'never'; build or load it in an earlier step, or set pull: missing.`
    )
  }
  if (spec.pull === 'always' || (spec.pull === 'missing' && !local)) {
    const title = `Pulling ${reference}${spec.platform ? ` for ${spec.platform}` : ''}`
    try {
      await log.group(title, () => pullImage(docker, spec, log))
      local = await inspectImage(docker, reference)
    } catch (error) {
      const reason = pullErrorReason(error, spec)
      // A default `always` must not break the common "docker build, then run it" workflow.
      const builtHere = local && (local.RepoDigests ?? []).length === 0
      if (spec.pullExplicit || !builtHere) throw new Error(pullFailure(spec, reason, enginePlatform))
      log.warning(`Could not pull ${reference} (${reason}); using the image built on this runner.`)
    }
  }
  if (!local) throw new Error(`Input 'image': ${reference} is not on the runner after the pull.`)
  const platform = imagePlatform(local)
  if (!platformMatches(spec.platform ?? enginePlatform, platform)) {
    throw new Error(platformMismatch(spec, platform, enginePlatform))
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

function imagePlatform(image: ImageInspectInfo): string {
  const variant = (image as ImageInspectInfo & { Variant?: string }).Variant
  return [image.Os, image.Architecture, variant].filter(Boolean).join('/')
}

/** OS and architecture must be equal; a variant counts only when both sides name one. */
function platformMatches(wanted: string, actual: string): boolean {
  const [wantedOs, wantedArch, wantedVariant] = wanted.split('/')
  const [os, arch, variant] = actual.split('/')
  return wantedOs === os && wantedArch === arch && (!wantedVariant || !variant || wantedVariant === variant)
}

function platformMismatch(spec: JobSpec, platform: string, enginePlatform: string): string {
  const reference = spec.image.reference
  if (!spec.platform) {
    return (
      `Input 'image': ${reference} is built for ${platform}, but this runner's Docker engine runs ${enginePlatform}. ` +
      `Rebuild or re-tag the image for ${enginePlatform} (e.g. docker buildx build --platform ${enginePlatform}).`
    )
  }
  return (
    `Input 'platform': ${reference} is built for ${platform}, not ${spec.platform}. ` +
    `Rebuild or re-tag the image for ${spec.platform} (e.g. docker buildx build --platform ${spec.platform}), ` +
    `or leave platform empty to use the runner's (${enginePlatform}).`
  )
}

/**
 * Where Docker looks for the image: the first part of the name when it looks
 * like a host (a dot, a port or localhost), else Docker Hub.
 */
export function registryHost(reference: string): string {
  const slash = reference.indexOf('/')
  const first = slash < 0 ? '' : reference.slice(0, slash)
  return /[.:]/.test(first) || first === 'localhost' ? first : 'docker.io'
}

function authConfig(auth: NonNullable<JobSpec['registryAuth']>, spec: JobSpec) {
  return { username: auth.username, password: auth.password, serveraddress: registryHost(spec.image.reference) }
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
async function pullImage(docker: Docker, spec: JobSpec, log: Log): Promise<void> {
  const options: { platform?: string; authconfig?: Docker.AuthConfig } = {}
  if (spec.platform) options.platform = spec.platform
  // Sent as the X-Registry-Auth header, never in the URL.
  if (spec.registryAuth) options.authconfig = authConfig(spec.registryAuth, spec)
  const stream = await docker.pull(spec.image.reference, options)
  const lastStatus = new Map<string, string>()
  let lastProgressAt = 0
  const say = (message: string) => log.info(redact(message, spec))
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
          say(key ? `${key}: ${event.status}` : event.status)
        } else if (event.progress && Date.now() - lastProgressAt > 3000) {
          lastProgressAt = Date.now()
          say(`${key}: ${event.progress}`)
        }
      }
    )
  })
}

/** The daemon's words without dockerode's "(HTTP code 500) server error - " prefix, and without the password. */
export function pullErrorReason(error: unknown, spec: JobSpec): string {
  const message = error instanceof Error ? error.message : String(error)
  return redact(message.replace(/^\(HTTP code \d+\) [^-]*- /, '').trim(), spec)
}

/**
 * The daemon and the registry do not echo credentials today, but an error
 * message is the user's to read and to paste into an issue: every form the
 * password travels in is taken out, whatever the message says.
 */
function redact(message: string, spec: JobSpec): string {
  if (!spec.registryAuth) return message
  const { password } = spec.registryAuth
  // The last two are the X-Registry-Auth header as dockerode encodes it (base64url) and plain base64.
  const header = Buffer.from(JSON.stringify(authConfig(spec.registryAuth, spec)))
  const forms = [
    password,
    encodeURIComponent(password),
    Buffer.from(password).toString('base64'),
    header.toString('base64').replace(/\+/g, '-').replace(/\//g, '_'),
    header.toString('base64')
  ]
  let clean = message
  for (const form of forms) {
    // With or without base64 padding.
    const unpadded = form.replace(/=+$/, '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    clean = clean.replace(new RegExp(`${unpadded}=*`, 'g'), '***')
  }
  return clean
}

// distribution says "unauthorized" or "no basic auth credentials"; Docker Hub
// says "pull access denied"; ghcr.io says "denied"; others answer 401 or 403.
const REFUSED =
  /unauthori[sz]ed|authentication required|no basic auth credentials|incorrect username or password|denied|\b40[13]\b/i
// Newer engines refuse a single-platform image for another platform at pull time.
const NO_SUCH_PLATFORM = /does not match the specified platform|no matching manifest for/i

export function pullFailure(spec: JobSpec, reason: string, enginePlatform: string): string {
  const reference = spec.image.reference
  const host = registryHost(reference)
  const ghcr =
    host === 'ghcr.io'
      ? ' For ghcr.io with GITHUB_TOKEN, use registry-username: ${{ github.actor }} and give the job `permissions: packages: read`.'
      : ''
  if (NO_SUCH_PLATFORM.test(reason)) {
    const wanted = spec.platform ?? enginePlatform
    return (
      `Input '${spec.platform ? 'platform' : 'image'}': ${reference} has no image for ${wanted} (${reason}). ` +
      `Rebuild or re-tag the image for ${wanted} (e.g. docker buildx build --platform ${wanted}).`
    )
  }
  if (!REFUSED.test(reason)) return `Input 'image': cannot pull ${reference}: ${reason}`
  if (!spec.registryAuth) {
    return (
      `Input 'image': cannot pull ${reference} without credentials (${host} said: ${reason}). ` +
      `If the image is private, set registry-username and registry-password; otherwise check its name.${ghcr}`
    )
  }
  return (
    `Inputs 'registry-username' and 'registry-password': ${host} refused them when pulling ${reference} (${reason}). ` +
    `Check both, and that this user may pull the repository.${ghcr}`
  )
}
