import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals'
import Docker from 'dockerode'
import { buildManifest } from '../../src/results/manifest.js'
import { jobSandbox, readText as read } from '../helpers/job.js'
import { ARM64_IMAGE, BUSYBOX_IMAGE } from '../servers/images.js'
import {
  OTHER_IMAGE,
  SEEDED_REPOSITORY,
  pushImage,
  registryAuth,
  removeRegistryImages,
  type RegistryAuth
} from '../servers/registry.js'

// A real private registry (Debian's docker-registry, htpasswd auth) and the
// real engine: every pull below goes over HTTP to the registry and is checked
// there. Its repositories are all under cod-test/, which is what it cleans.
const docker = new Docker()
const sandbox = jobSandbox('registry')
let auth: RegistryAuth
let host: string
let credentials: Record<string, string>

// Counts requests, so a test can prove that no input was fetched.
let inputRequests = 0
let inputServer: http.Server
let inputUrl: string

beforeAll(async () => {
  if (!process.env.COD_REGISTRY) {
    throw new Error('COD_REGISTRY is not set: run with the registry test server (COD_TEST_SERVERS=docker,registry).')
  }
  auth = registryAuth()
  host = auth.serveraddress
  credentials = { 'registry-username': auth.username, 'registry-password': auth.password }
  inputServer = http.createServer((_req, res) => {
    inputRequests++
    res.end('data\n')
  })
  await new Promise<void>((resolve) => inputServer.listen(0, '127.0.0.1', resolve))
  inputUrl = `http://127.0.0.1:${(inputServer.address() as AddressInfo).port}/data.txt`
})

afterAll(async () => {
  await removeRegistryImages(docker, `${host}/cod-test/`)
  await new Promise((resolve) => inputServer.close(resolve))
  sandbox.cleanup()
})

afterEach(async () => expect(await sandbox.leftoverContainers()).toEqual([]))

/** The digest the registry itself serves for a tag, asked over its HTTP API. */
async function registryDigest(repository: string, tag: string): Promise<string> {
  const response = await fetch(`http://${host}/v2/${repository}/manifests/${tag}`, {
    method: 'HEAD',
    headers: {
      Authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`,
      Accept: 'application/vnd.docker.distribution.manifest.v2+json'
    }
  })
  expect(response.status).toBe(200)
  return response.headers.get('docker-content-digest')!
}

/** `pull` left empty, as a user who did not set it: `always` for a tag, `missing` for a digest. */
const job = (values: Record<string, string>) => sandbox.job({ pull: '', ...values })

describe('private registry credentials', () => {
  it('says which inputs to set when the registry asks for credentials and none were given', async () => {
    const image = `${host}/${SEEDED_REPOSITORY}:1`
    const failure = job({ image, command: 'true' })
    await expect(failure).rejects.toThrow(`Input 'image': cannot pull ${image} without credentials (${host} said: `)
    await expect(failure).rejects.toThrow(/set registry-username and registry-password/)
  })

  it('names both inputs when the password is wrong, and never shows the password', async () => {
    const wrong = `wrong-${auth.password.slice(0, 8)}-password`
    const image = `${host}/${SEEDED_REPOSITORY}:1`
    const error = await job({
      image,
      command: 'true',
      'registry-username': auth.username,
      'registry-password': wrong
    }).then(
      () => undefined,
      (caught: Error) => caught
    )
    expect(error?.message).toMatch(
      new RegExp(`^Inputs 'registry-username' and 'registry-password': ${host} refused them when pulling `)
    )
    expect(error?.message).not.toContain(wrong)
    expect(error?.message).not.toContain(Buffer.from(wrong).toString('base64'))
  })

  it('pulls with the right credentials and records the digest the registry serves', async () => {
    const image = `${host}/${SEEDED_REPOSITORY}:1`
    const outcome = await job({ image, run: 'echo pulled', ...credentials })
    expect(read(outcome.results.stdout)).toBe('pulled\n')
    expect(outcome.log).toContain(`group: Pulling ${image}`)
    const served = await registryDigest(SEEDED_REPOSITORY, '1')
    expect(served).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect(outcome.image.digest).toBe(served)
    expect(buildManifest(outcome).image).toMatchObject({ reference: image, digest: served, platform: 'linux/amd64' })
    expect(outcome.log.join('\n')).not.toContain(auth.password)
  })
})

describe('tags and digests', () => {
  it('pulls a tag again on every run, so a moved :latest runs the new image', async () => {
    const image = `${host}/cod-test/app:latest`
    const first = await pushImage(docker, BUSYBOX_IMAGE, image, auth)
    // Only the registry's copy: the run must pull it, not find the pushed name.
    await removeRegistryImages(docker, `${host}/cod-test/`)
    const before = await job({ image, run: 'echo "${COD_VARIANT:-busybox}"', ...credentials })
    expect(before.image.digest).toBe(first)
    expect(read(before.results.stdout)).toBe('busybox\n')

    // Another image under the same tag, while the runner still has the old
    // one as :latest (as a runner that pulled before the push would).
    const moved = await pushImage(docker, OTHER_IMAGE, image, auth)
    expect(moved).not.toBe(first)
    await docker.getImage(BUSYBOX_IMAGE).tag({ repo: `${host}/cod-test/app`, tag: 'latest' })
    const stale = await job({ image, pull: 'missing', run: 'echo "${COD_VARIANT:-busybox}"' })
    expect(read(stale.results.stdout)).toBe('busybox\n')

    const after = await job({ image, run: 'echo "${COD_VARIANT:-busybox}"', ...credentials })
    expect(after.image.digest).toBe(moved)
    expect(after.image.digest).toBe(await registryDigest('cod-test/app', 'latest'))
    expect(read(after.results.stdout)).toBe('other\n')
  })

  it('does not pull a digest reference that is already on the runner, and pulls it when it is not', async () => {
    const pushed = await pushImage(docker, OTHER_IMAGE, `${host}/cod-test/pinned:1`, auth)
    await removeRegistryImages(docker, `${host}/cod-test/`)
    const image = `${host}/cod-test/pinned@${pushed}`

    // Missing: pulled (with credentials), and the digest is the one asked for.
    const pulled = await job({ image, run: 'echo "$COD_VARIANT"', ...credentials })
    expect(pulled.log).toContain(`group: Pulling ${image}`)
    expect(pulled.image.digest).toBe(pushed)
    expect(read(pulled.results.stdout)).toBe('other\n')

    // Present: no pull at all. Without credentials a pull would be refused,
    // so this run succeeding proves the registry was not asked.
    const local = await job({ image, run: 'echo "$COD_VARIANT"' })
    expect(local.log.some((line) => line.startsWith('group: Pulling'))).toBe(false)
    expect(local.image.digest).toBe(pushed)
    expect(read(local.results.stdout)).toBe('other\n')
  })
})

describe('platform', () => {
  it('refuses an image for another architecture with advice, before any input is fetched', async () => {
    const image = `${host}/cod-test/arm:1`
    await pushImage(docker, ARM64_IMAGE, image, auth)
    await removeRegistryImages(docker, `${host}/cod-test/`)
    inputRequests = 0
    await expect(job({ image, inputs: inputUrl, command: 'true', ...credentials })).rejects.toThrow(
      `Input 'image': ${image} is built for linux/arm64, but this runner's Docker engine runs linux/amd64. ` +
        'Rebuild or re-tag the image for linux/amd64'
    )
    expect(inputRequests).toBe(0)
  })

  it('checks the image against the platform input, pulling for that platform', async () => {
    const image = `${host}/${SEEDED_REPOSITORY}:1`
    inputRequests = 0
    await expect(
      job({ image, platform: 'linux/arm64', inputs: inputUrl, command: 'true', ...credentials })
    ).rejects.toThrow(
      `Input 'platform': ${image} is built for linux/amd64, not linux/arm64. Rebuild or re-tag the image for linux/arm64`
    )
    expect(inputRequests).toBe(0)
  })

  it('runs when the platform input names the image platform', async () => {
    const image = `${host}/${SEEDED_REPOSITORY}:1`
    const outcome = await job({
      image,
      platform: 'linux/amd64',
      inputs: inputUrl,
      run: 'cat /inputs/data.txt',
      ...credentials
    })
    expect(read(outcome.results.stdout)).toBe('data\n')
    expect(outcome.image.platform).toBe('linux/amd64')
  })
})
