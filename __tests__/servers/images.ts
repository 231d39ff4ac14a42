import { createHash } from 'node:crypto'
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import { Readable } from 'node:stream'
import Docker from 'dockerode'
import tar from 'tar-stream'

/** Tests never pull: these images are made here from Debian's busybox-static. */
export const BUSYBOX_IMAGE = 'cod-test/busybox:1'
/** The same files, but its config says linux/arm64: for the platform check. */
export const ARM64_IMAGE = 'cod-test/busybox-arm64:1'

const BUSYBOX = '/bin/busybox'

/** Fixed times and owners make the layer, and so the image ID, the same on every load. */
const FIXED = { mtime: new Date(0), uid: 0, gid: 0 }

type Entry = Partial<tar.Header> & { name: string }

async function packTar(fill: (entry: (header: Entry, body?: string | Buffer) => void) => void): Promise<Buffer> {
  const pack = tar.pack()
  fill((header, body) =>
    body === undefined ? pack.entry({ ...FIXED, ...header }) : pack.entry({ ...FIXED, ...header }, body)
  )
  pack.finalize()
  const chunks: Buffer[] = []
  for await (const chunk of pack) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

/**
 * An image in `docker save` form, loaded with `docker load`: no builder and no
 * registry needed. The layer is busybox plus a symlink per applet, /tmp and an
 * /etc/passwd that names no one but root and nobody.
 */
async function imageTarball(
  tag: string,
  architecture: string,
  env: string[]
): Promise<{ tarball: Buffer; id: string }> {
  const busybox = fs.readFileSync(BUSYBOX)
  const applets = execFileSync(BUSYBOX, ['--list'], { encoding: 'utf8' }).split('\n').filter(Boolean)
  const layer = await packTar((entry) => {
    entry({ name: 'bin/', type: 'directory', mode: 0o755 })
    entry({ name: 'bin/busybox', mode: 0o755 }, busybox)
    for (const applet of applets) {
      if (applet === 'busybox') continue
      entry({ name: `bin/${applet}`, type: 'symlink', linkname: 'busybox' })
    }
    entry({ name: 'tmp/', type: 'directory', mode: 0o1777 })
    entry({ name: 'etc/', type: 'directory', mode: 0o755 })
    entry(
      { name: 'etc/passwd', mode: 0o644 },
      'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n'
    )
  })
  const diffId = `sha256:${createHash('sha256').update(layer).digest('hex')}`
  const config = Buffer.from(
    JSON.stringify({
      architecture,
      os: 'linux',
      config: { Env: ['PATH=/bin', ...env], Cmd: ['sh'] },
      rootfs: { type: 'layers', diff_ids: [diffId] },
      history: [{ created_by: 'compute-over-data test image' }]
    })
  )
  const configName = `${createHash('sha256').update(config).digest('hex')}.json`
  const manifest = JSON.stringify([{ Config: configName, RepoTags: [tag], Layers: ['layer.tar'] }])
  const tarball = await packTar((entry) => {
    entry({ name: 'layer.tar' }, layer)
    entry({ name: configName }, config)
    entry({ name: 'manifest.json' }, manifest)
  })
  return { tarball, id: `sha256:${configName.replace(/\.json$/, '')}` }
}

/**
 * Loads the image unless the tag already names exactly it (its ID is the
 * config's hash). `env` makes a different image from the same layer.
 */
export async function loadTestImage(
  docker: Docker,
  tag: string,
  architecture: string,
  env: string[] = []
): Promise<void> {
  const { tarball, id } = await imageTarball(tag, architecture, env)
  const present = await docker
    .getImage(tag)
    .inspect()
    .then((image) => image.Id)
    .catch(() => undefined)
  if (present === id) return
  const stream = await docker.loadImage(Readable.from([tarball]))
  await new Promise<void>((resolve, reject) =>
    docker.modem.followProgress(stream, (error: Error | null) => (error ? reject(error) : resolve()))
  )
}

export async function ensureTestImages(docker: Docker): Promise<void> {
  await loadTestImage(docker, BUSYBOX_IMAGE, 'amd64')
  await loadTestImage(docker, ARM64_IMAGE, 'arm64')
}
