import { createHash, randomBytes } from 'node:crypto'
import fs from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import { create as createKubo } from 'kubo-rpc-client'
import yauzl from 'yauzl'
import { runAction } from '../../script/run-action.mjs'
import { backendIds, runtimeToken, type RecordedArtifact } from '../servers/artifact.js'
import { BUSYBOX_IMAGE } from '../servers/images.js'
import { seedingS3Client, serverEnv, testS3 } from '../helpers/test-servers.js'

/**
 * The whole product through dist/index.js, as the runner runs it: inputs from
 * IPFS, HTTP, S3 and the workspace at once, the container hashing them, and
 * the results published to the IPFS node and as an artifact.
 */
const ipfsApi = serverEnv('COD_IPFS_API')
const resultsUrl = serverEnv('COD_RESULTS_URL')
const s3 = testS3()

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex')
const originals = {
  ipfs: Buffer.from('bytes that live on IPFS\n'),
  http: randomBytes(300_000),
  s3a: Buffer.from('first object\n'),
  s3b: Buffer.from('second object\n'),
  workspace: Buffer.from('a file from the repository\n')
}

let root: string
let workspace: string
let server: http.Server
let httpUrl: string
let cid: string
const bucket = `cod-e2e-${randomBytes(3).toString('hex')}`

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'cod-e2e-publish-'))
  workspace = path.join(root, 'workspace')
  fs.mkdirSync(path.join(workspace, 'repo-data'), { recursive: true })
  fs.writeFileSync(path.join(workspace, 'repo-data', 'notes.txt'), originals.workspace)

  cid = (await createKubo({ url: ipfsApi }).add(originals.ipfs, { cidVersion: 0 })).cid.toString()

  server = http.createServer((_request, response) => {
    response.setHeader('Content-Disposition', 'attachment; filename="download.bin"')
    response.end(originals.http)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  httpUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/files/get?id=1`

  const client = seedingS3Client(s3)
  await client.send(new CreateBucketCommand({ Bucket: bucket }))
  await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'set/a.txt', Body: originals.s3a }))
  await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'set/sub/b.txt', Body: originals.s3b }))
})

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()))
  fs.rmSync(root, { recursive: true, force: true })
})

/** Runs the bundle with the runner's artifact variables pointing at the test results service. */
async function runStep(inputs: Record<string, string>) {
  const token = runtimeToken()
  const result = await runAction({
    workspace,
    runnerTemp: fs.mkdtempSync(path.join(root, 'temp-')),
    env: {
      ACTIONS_RESULTS_URL: resultsUrl,
      ACTIONS_RUNTIME_TOKEN: token,
      AWS_ACCESS_KEY_ID: s3.accessKey,
      AWS_SECRET_ACCESS_KEY: s3.secretKey,
      NO_PROXY: '127.0.0.1,localhost'
    },
    inputs: { image: BUSYBOX_IMAGE, pull: 'never', ...inputs }
  })
  const listed = await fetch(new URL(`/_test/artifacts?run=${backendIds(token)!.run}`, resultsUrl))
  const artifacts = (await listed.json()) as RecordedArtifact[]
  return { ...result, artifacts }
}

function unzip(zip: Buffer): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(zip, { lazyEntries: true }, (error, archive) => {
      if (error) return reject(error)
      const files = new Map<string, Buffer>()
      archive.on('entry', (entry: yauzl.Entry) => {
        if (entry.fileName.endsWith('/')) return archive.readEntry()
        archive.openReadStream(entry, (streamError, stream) => {
          if (streamError) return reject(streamError)
          const chunks: Buffer[] = []
          stream.on('data', (chunk: Buffer) => chunks.push(chunk))
          stream.on('end', () => {
            files.set(entry.fileName, Buffer.concat(chunks))
            archive.readEntry()
          })
        })
      })
      archive.on('end', () => resolve(files))
      archive.on('error', reject)
      archive.readEntry()
    })
  })
}

describe('inputs from every source, results published both ways', () => {
  it('hashes what IPFS, HTTP, S3 and the workspace staged, read-only, and publishes the results', async () => {
    const resultsDir = path.join(workspace, 'results-all')
    const result = await runStep({
      inputs: [
        `ipfs://${cid}:/inputs/ipfs/`,
        `src=${httpUrl},dst=/inputs/http/`,
        `s3://${bucket}/set/:/inputs/s3`,
        'repo-data:/inputs/repo'
      ].join('\n'),
      'ipfs-api': ipfsApi,
      's3-endpoint': s3.endpoint,
      's3-region': 'us-east-1',
      'results-dir': 'results-all',
      car: 'true',
      run: [
        'cd /inputs && find . -type f | sort | while read -r f; do sha256sum "$f"; done > /outputs/hashes.txt',
        'for d in ipfs http s3 repo; do touch /inputs/$d/new 2>/dev/null && echo "$d writable" || echo "$d read-only"; done'
      ].join('\n')
    })
    expect(result.log).not.toContain('::error::')
    expect(result.exitCode).toBe(0)

    const hashes = fs.readFileSync(path.join(resultsDir, 'outputs', 'hashes.txt'), 'utf8')
    expect(hashes).toBe(
      [
        `${sha256(originals.http)}  ./http/download.bin`,
        `${sha256(originals.ipfs)}  ./ipfs/${cid}`,
        `${sha256(originals.workspace)}  ./repo/notes.txt`,
        `${sha256(originals.s3a)}  ./s3/a.txt`,
        `${sha256(originals.s3b)}  ./s3/sub/b.txt`
      ].join('\n') + '\n'
    )
    expect(fs.readFileSync(path.join(resultsDir, 'stdout'), 'utf8')).toBe(
      'ipfs read-only\nhttp read-only\ns3 read-only\nrepo read-only\n'
    )

    // IPFS: the CID is an output, and the node holds and pins exactly it.
    const published = result.outputs.cid!
    expect(published).toMatch(/^Qm/)
    const node = createKubo({ url: ipfsApi })
    const pins: string[] = []
    for await (const pin of node.pin.ls({ paths: [published] })) pins.push(pin.cid.toString())
    expect(pins).toEqual([published])
    const chunks: Uint8Array[] = []
    for await (const chunk of node.cat(`${published}/stdout`)) chunks.push(chunk)
    const stdoutFromIpfs = Buffer.concat(chunks)
    expect(stdoutFromIpfs.toString()).toBe(fs.readFileSync(path.join(resultsDir, 'stdout'), 'utf8'))
    expect(result.outputs['ipfs-url']).toBe(`https://ipfs.io/ipfs/${published}`)

    // Artifact: the digest output is the blob's SHA-256, and the zip holds the results, the manifest and the CAR.
    expect(result.artifacts).toHaveLength(1)
    const [artifact] = result.artifacts
    expect(result.outputs['artifact-id']).toBe(String(artifact!.id))
    const zip = Buffer.from(await (await fetch(artifact!.blobUrl)).arrayBuffer())
    expect(result.outputs['artifact-digest']).toBe(sha256(zip))
    const files = await unzip(zip)
    expect([...files.keys()].sort()).toEqual([
      'exitCode',
      'manifest.json',
      'outputs/hashes.txt',
      'results.car',
      'stderr',
      'stdout'
    ])
    expect(files.get('outputs/hashes.txt')!.toString()).toBe(hashes)
    const manifest = JSON.parse(files.get('manifest.json')!.toString())
    expect(manifest.ipfs).toMatchObject({ cid: published, cidVersion: 0, imported: true })
    expect(manifest.inputs.map((input: { identity: { scheme: string } }) => input.identity.scheme)).toEqual([
      'ipfs',
      'http',
      's3',
      'workspace'
    ])
    expect(manifest.inputs[1].identity.sha256).toBe(sha256(originals.http))
  })

  it('keeps the results and still uploads the artifact when the IPFS node is down', async () => {
    const closed = http.createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const deadApi = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`
    await new Promise<void>((resolve) => closed.close(() => resolve()))

    const result = await runStep({
      'ipfs-api': deadApi,
      'results-dir': 'results-node-down',
      run: 'echo kept > /outputs/kept.txt'
    })
    expect(result.exitCode).toBe(1)
    expect(result.log).toMatch(new RegExp(`::error::IPFS publish to ${deadApi}`))
    expect(result.outputs.cid).toMatch(/^Qm/)
    expect(result.outputs['ipfs-url']).toBeUndefined()
    expect(result.outputs['artifact-id']).toBe(String(result.artifacts[0]!.id))
    expect(fs.readFileSync(path.join(workspace, 'results-node-down', 'outputs', 'kept.txt'), 'utf8')).toBe('kept\n')
  })
})
