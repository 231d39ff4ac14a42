import { execFile } from 'node:child_process'
import path from 'node:path'
import { promisify } from 'node:util'
import Docker from 'dockerode'
import { BUSYBOX_IMAGE, ensureTestImages, loadTestImage } from './images.js'
import type { RunningServer } from './types.js'

const run = promisify(execFile)
const SCRIPT = path.resolve('script/setup-registry.sh')

/** The busybox layer again under another config: a second image to move a tag to. */
export const OTHER_IMAGE = 'cod-test/busybox-other:1'
export const OTHER_IMAGE_ENV = 'COD_VARIANT=other'
/** Pushed when the registry starts, so a test can pull without pushing first. */
export const SEEDED_REPOSITORY = 'cod-test/busybox'

export interface RegistryAuth {
  username: string
  password: string
  serveraddress: string
}

/**
 * A private registry (distribution, htpasswd auth) on a loopback port,
 * seeded with the busybox test image as SEEDED_REPOSITORY:1. Only the
 * registry copy is kept: the local host:port/... names are removed, so tests
 * start with nothing of the registry's on the engine.
 */
export async function startRegistry(): Promise<RunningServer> {
  let stdout: string
  try {
    ;({ stdout } = await run('bash', [SCRIPT, 'start'], { timeout: 300_000 }))
  } catch (error) {
    const { stderr, message } = error as { stderr?: string; message: string }
    throw new Error(`script/setup-registry.sh failed: ${stderr?.trim() || message}`)
  }
  const env: Record<string, string> = {}
  for (const line of stdout.split('\n')) {
    const match = /^(COD_REGISTRY[A-Z_]*)=(.*)$/.exec(line.trim())
    if (match) env[match[1]!] = match[2]!
  }
  const dir = env.COD_REGISTRY_DIR
  const stopRegistry = async () => {
    if (dir) await run('bash', [SCRIPT, 'stop', dir])
  }
  for (const name of ['COD_REGISTRY', 'COD_REGISTRY_USERNAME', 'COD_REGISTRY_PASSWORD', 'COD_REGISTRY_DIR']) {
    if (!env[name]) {
      await stopRegistry().catch(() => {})
      throw new Error(`script/setup-registry.sh printed no ${name}; it printed: ${stdout}`)
    }
  }
  const host = env.COD_REGISTRY!
  const docker = new Docker()
  try {
    await ensureTestImages(docker)
    await loadTestImage(docker, OTHER_IMAGE, 'amd64', [OTHER_IMAGE_ENV])
    await pushImage(docker, BUSYBOX_IMAGE, `${host}/${SEEDED_REPOSITORY}:1`, registryAuth(env))
    await removeRegistryImages(docker, host)
  } catch (error) {
    await removeRegistryImages(docker, host).catch(() => {})
    await stopRegistry().catch(() => {})
    throw new Error(`could not seed the registry at ${host}: ${(error as Error).message}`)
  }
  return {
    env,
    stop: async () => {
      await removeRegistryImages(docker, host).catch(() => {})
      await stopRegistry()
    }
  }
}

export function registryAuth(env: Record<string, string | undefined> = process.env): RegistryAuth {
  return {
    username: env.COD_REGISTRY_USERNAME!,
    password: env.COD_REGISTRY_PASSWORD!,
    serveraddress: env.COD_REGISTRY!
  }
}

/** Tags `source` as `target` and pushes it; returns the manifest digest the registry reported. */
export async function pushImage(docker: Docker, source: string, target: string, auth: RegistryAuth): Promise<string> {
  const at = target.lastIndexOf(':')
  await docker.getImage(source).tag({ repo: target.slice(0, at), tag: target.slice(at + 1) })
  const stream = await docker.getImage(target).push({ authconfig: auth })
  type PushEvent = { error?: string; aux?: { Digest?: string } }
  const events = await new Promise<PushEvent[]>((resolve, reject) =>
    docker.modem.followProgress(stream, (error: Error | null, output: PushEvent[]) =>
      error ? reject(error) : resolve(output)
    )
  )
  const failed = events.find((event) => event.error)
  if (failed) throw new Error(`push of ${target} failed: ${failed.error}`)
  const digest = events.find((event) => event.aux?.Digest)?.aux?.Digest
  if (!digest) throw new Error(`push of ${target} reported no digest: ${JSON.stringify(events.slice(-3))}`)
  return digest
}

/**
 * Removes every name under `prefix` (tags and digests, e.g. all of
 * 127.0.0.1:PORT/ or one test file's 127.0.0.1:PORT/e2e/) from the engine.
 * An image that also has another name (the busybox test images) keeps it;
 * one that has no other name is deleted.
 */
export async function removeRegistryImages(docker: Docker, prefix: string): Promise<void> {
  const under = prefix.endsWith('/') ? prefix : `${prefix}/`
  const images = await docker.listImages({ all: false })
  for (const image of images) {
    const names = [...(image.RepoTags ?? []), ...(image.RepoDigests ?? [])].filter((name) => name.startsWith(under))
    for (const name of names) {
      await docker
        .getImage(name)
        .remove()
        .catch((error: { statusCode?: number }) => {
          // Gone already: removing the last tag can take the digest name with it.
          if (error.statusCode !== 404) throw error
        })
    }
  }
}
