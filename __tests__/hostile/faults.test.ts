// Injected faults, each through the built bundle as the runner runs it.
// What the user sees, and what is kept:
//
// | fault                                  | the user sees                                         | kept                                      |
// | -------------------------------------- | ----------------------------------------------------- | ----------------------------------------- |
// | Docker unreachable at start            | "Cannot reach the Docker engine at …" and what to do  | nothing to keep; nothing left             |
// | container OOM-killed                   | "ran out of memory (limit …)", partial=true           | results, published (CID, artifact)        |
// | timeout reached                        | "stopped when the 2 s timeout was reached", partial   | partial results, published, marked partial|
// | runner cancels (SIGINT, SIGTERM)       | "Received SIGTERM: removing the container."           | a named results-dir; nothing in RUNNER_TEMP|
// | cancel while an input downloads        | the step ends                                         | nothing: post removes the partial download|
// | IPFS node dies mid-import, once        | a warning, then success                               | results, CID imported and pinned          |
// | IPFS node dies mid-import, every time  | "IPFS publish to … (after 4 attempts)"                | results, CID output, artifact             |
// | HTTP input resets mid-body             | "Resuming at …", success                              | the whole file, byte for byte             |
// | HTTP input resets before any byte      | "… gave up after 5 attempts."                         | nothing left                              |
// | S3 answers 503 for a while             | success (the SDK retried)                             | the objects, byte for byte                |
// | artifact service 500 twice, then OK    | success                                               | the artifact                              |
// | disk fills while staging               | "Input '…': no space left on device …"                | nothing left on the full disk             |
// | two runs at once in one job            | both succeed                                          | two results folders, two containers       |
import { execFileSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import fs from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import Docker from 'dockerode'
import { create as createKubo } from 'kubo-rpc-client'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 as sha256Hasher } from 'multiformats/hashes/sha2'
import { stageIpfs, stallPolicy } from '../../src/storage/ipfs.js'
import { collectingLog } from '../helpers/log.js'
import {
  artifactEntries,
  artifactEnv,
  expectNoOutputs,
  expectNothingLeft,
  expectOneClearError,
  hostileSandbox,
  leftovers,
  newRunId
} from './harness.js'
import { seedingS3Client, serverEnv, testS3 } from '../helpers/test-servers.js'

const ipfsApi = serverEnv('COD_IPFS_API')
const s3 = testS3()
const s3Env = { AWS_ACCESS_KEY_ID: s3.accessKey, AWS_SECRET_ACCESS_KEY: s3.secretKey }
const docker = new Docker()
const sandbox = hostileSandbox('faults')
const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex')
const servers: http.Server[] = []

async function listen(handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler)
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

/**
 * A proxy in front of `target`. `cutAfter(request)` returns how many request
 * body bytes to pass on before killing both connections (undefined: pass
 * everything); `answer(request)` may answer in the proxy's place.
 */
async function proxy(
  target: string,
  rules: {
    cutAfter?: (request: http.IncomingMessage) => number | undefined
    answer?: (request: http.IncomingMessage, response: http.ServerResponse) => boolean
  }
): Promise<string> {
  return listen((request, response) => {
    if (rules.answer?.(request, response)) return
    const upstream = http.request(new URL(request.url!, target), { method: request.method, headers: request.headers })
    upstream.on('response', (answer) => {
      response.writeHead(answer.statusCode!, answer.headers)
      answer.pipe(response)
    })
    upstream.on('error', () => response.destroy())
    const limit = rules.cutAfter?.(request)
    let passed = 0
    request.on('data', (chunk: Buffer) => {
      passed += chunk.length
      if (limit !== undefined && passed > limit) {
        upstream.destroy()
        request.socket.destroy()
        return
      }
      upstream.write(chunk)
    })
    request.on('end', () => upstream.end())
  })
}

async function pinned(cid: string): Promise<string[]> {
  const pins: string[] = []
  for await (const pin of createKubo({ url: ipfsApi }).pin.ls({ paths: [cid] })) pins.push(pin.cid.toString())
  return pins
}

let tmpfs: string | undefined
function unmountTmpfs(): void {
  if (tmpfs && fs.existsSync(tmpfs)) execFileSync('umount', [tmpfs])
  tmpfs = undefined
}

beforeAll(() => fs.mkdirSync(path.join(sandbox.workspace, 'data')))

afterAll(async () => {
  unmountTmpfs()
  for (const server of servers) {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
  sandbox.cleanup()
})

describe('faults', () => {
  it('reports an unreachable Docker engine, with what to do, and leaves nothing', async () => {
    const run = await sandbox.step({
      env: { DOCKER_HOST: `unix://${path.join(sandbox.root, 'no-docker.sock')}` },
      inputs: { command: 'true' }
    })
    expectOneClearError(run, /^Cannot reach the Docker engine at unix:\/\/.*no-docker\.sock .*use a Linux runner/)
    expectNoOutputs(run)
    expectNothingLeft(run)
  })

  it('reports an OOM kill, and publishes what the container wrote, marked partial', async () => {
    const artifact = artifactEnv()
    const run = await sandbox.step({
      env: artifact.env,
      inputs: {
        memory: '16Mi',
        'artifact-name': 'results',
        run: 'echo before > /outputs/before.txt; x=a; while true; do x="$x$x"; done'
      }
    })
    expectOneClearError(
      run,
      /^The container ran out of memory \(limit 16\.0 MiB\) and was killed \(exit code 137\); raise 'memory' or use less\.$/
    )
    expect(run.outputs).toMatchObject({ 'exit-code': '137', partial: 'true' })
    const entries = await artifactEntries((await artifact.listArtifacts())[0]!)
    expect(entries.get('outputs/before.txt')!.toString()).toBe('before\n')
    expect(JSON.parse(entries.get('manifest.json')!.toString()).result).toMatchObject({
      partial: true,
      oomKilled: true
    })
    expectNothingLeft(run, { afterMain: false })
  })

  it('stops the container at the timeout, and publishes the partial results to IPFS and the artifact, marked partial', async () => {
    const artifact = artifactEnv()
    const run = await sandbox.step({
      env: artifact.env,
      inputs: {
        timeout: '2s',
        'ipfs-api': ipfsApi,
        'artifact-name': 'results',
        run: 'echo before; echo partial > /outputs/p.txt; sleep 600; echo after'
      }
    })
    expectOneClearError(
      run,
      /^The container was stopped when the 2 s timeout was reached \(exit code 137\); its partial results are in /
    )
    expect(run.outputs.partial).toBe('true')
    const cid = run.outputs.cid!
    expect(await pinned(cid)).toEqual([cid])
    const chunks: Uint8Array[] = []
    for await (const chunk of createKubo({ url: ipfsApi }).cat(`${cid}/outputs/p.txt`)) chunks.push(chunk)
    expect(Buffer.concat(chunks).toString()).toBe('partial\n')
    const entries = await artifactEntries((await artifact.listArtifacts())[0]!)
    expect(entries.get('stdout')!.toString()).toBe('before\n')
    expect(entries.get('outputs/p.txt')!.toString()).toBe('partial\n')
    const manifest = JSON.parse(entries.get('manifest.json')!.toString())
    expect(manifest.result).toMatchObject({ partial: true, timedOut: true, exitCode: 137 })
    expect(manifest.ipfs).toMatchObject({ cid, imported: true })
    expectNothingLeft(run, { afterMain: false })
  })

  it.each(['SIGINT', 'SIGTERM'] as const)(
    'survives a %s cancel: the container is removed, RUNNER_TEMP emptied, a named results-dir kept',
    async (signal) => {
      const run = await sandbox.step({
        cancelWhen: 'container-is-running',
        cancelSignal: signal,
        inputs: {
          'results-dir': `results-${signal}`,
          run: 'echo partial > /outputs/p.txt; echo container-is-running; sleep 600'
        }
      })
      expect(run.exitCode).not.toBe(0)
      expect(run.log).toContain(`Received ${signal}: removing the container.`)
      expect(run.postExitCode).toBe(0)
      expectNothingLeft(run)
      expect(fs.readFileSync(path.join(sandbox.workspace, `results-${signal}`, 'outputs', 'p.txt'), 'utf8')).toBe(
        'partial\n'
      )
    }
  )

  it('survives a cancel while an input downloads: the post step removes the partial download', async () => {
    // Sends 64 KiB of a 10 MiB file, then nothing: the download is stuck when the runner cancels.
    const url = await listen((_request, response) => {
      response.writeHead(200, { 'content-length': String(10 * 2 ** 20) })
      response.write(Buffer.alloc(64 * 1024, 'x'))
    })
    const run = await sandbox.step({
      cancelWhen: 'Downloading',
      cancelSignal: 'SIGTERM',
      inputs: { inputs: `${url}/slow.bin`, command: 'true' }
    })
    expect(run.exitCode).not.toBe(0)
    expect(run.afterMain.tempFiles.some((file) => /inputs\/0\/\.partial-/.test(file))).toBe(true)
    expect(run.postExitCode).toBe(0)
    expect(run.afterPost).toEqual({ containers: [], tempFiles: [] })
  })

  it('survives the IPFS node dying mid-import once: it retries, and the node holds and pins the results', async () => {
    let cuts = 0
    const api = await proxy(ipfsApi, {
      cutAfter: (request) => (request.url!.startsWith('/api/v0/dag/import') && cuts++ === 0 ? 512 * 1024 : undefined)
    })
    const run = await sandbox.step({
      inputs: { 'ipfs-api': api, run: 'head -c 3000000 /dev/urandom > /outputs/random.bin; echo done' }
    })
    expect(run.errors).toEqual([])
    expect(run.exitCode).toBe(0)
    expect(cuts).toBe(2)
    expect(run.log).toMatch(
      /::warning::IPFS publish to http:\/\/127\.0\.0\.1:\d+: .*trying again in 0\.5 s \(attempt 2 of 4\)/
    )
    expect(await pinned(run.outputs.cid!)).toEqual([run.outputs.cid])
    expectNothingLeft(run, { afterMain: false })
  })

  it('reports the IPFS node dying mid-import every time, after retries; the CID, results and artifact are kept', async () => {
    let cuts = 0
    const api = await proxy(ipfsApi, {
      cutAfter: (request) => (request.url!.startsWith('/api/v0/dag/import') ? (cuts++, 512 * 1024) : undefined)
    })
    const artifact = artifactEnv()
    const run = await sandbox.step({
      env: artifact.env,
      inputs: {
        'ipfs-api': api,
        'artifact-name': 'results',
        'results-dir': 'results-ipfs-dies',
        run: 'head -c 3000000 /dev/urandom > /outputs/random.bin; echo done'
      }
    })
    expectOneClearError(run, new RegExp(`^IPFS publish to ${api.replace(/[.]/g, '\\.')}: .* \\(after 4 attempts\\)$`))
    expect(cuts).toBe(4)
    expect(run.outputs.cid).toMatch(/^Qm/)
    expect(run.outputs['ipfs-url']).toBeUndefined()
    const entries = await artifactEntries((await artifact.listArtifacts())[0]!)
    const kept = fs.readFileSync(path.join(sandbox.workspace, 'results-ipfs-dies', 'outputs', 'random.bin'))
    expect(kept.length).toBe(3_000_000)
    expect(sha256(entries.get('outputs/random.bin') as Buffer)).toBe(sha256(kept))
    expect(JSON.parse(entries.get('manifest.json')!.toString()).ipfs).toMatchObject({
      cid: run.outputs.cid,
      imported: false
    })
  })

  it('reports an IPFS input that no node or gateway sends, once nothing arrived for the stall time, instead of hanging', async () => {
    // In-process, so the two-minute stall time can be shortened; the node and gateway are real.
    const saved = stallPolicy.ms
    stallPolicy.ms = 1500
    try {
      const nobodyHas = CID.create(1, raw.code, await sha256Hasher.digest(randomBytes(32))).toString()
      for (const [from, settings] of [
        [`the IPFS node at ${ipfsApi}`, { ipfsApi, ipfsGateway: 'http://127.0.0.1:9' }],
        [`the gateway ${serverEnv('COD_IPFS_GATEWAY')}`, { ipfsGateway: serverEnv('COD_IPFS_GATEWAY') }]
      ] as const) {
        const stagingDir = fs.mkdtempSync(path.join(sandbox.root, 'stall-'))
        const staged = stageIpfs({
          source: { scheme: 'ipfs', cid: nobodyHas, subpath: '' },
          stagingDir,
          settings,
          log: collectingLog()
        })
        await expect(staged).rejects.toThrow(
          `Input 'ipfs://${nobodyHas}': no data from ${from} for 1.5 s; it may not have this CID (is it pinned, or provided to the network?).`
        )
        expect(fs.readdirSync(stagingDir)).toEqual([])
      }
    } finally {
      stallPolicy.ms = saved
    }
  })

  it('survives an HTTP input that resets mid-body: it resumes, and the container sees every byte', async () => {
    const file = randomBytes(1024 * 1024)
    const ranges: string[] = []
    const url = await listen((request, response) => {
      const range = /^bytes=(\d+)-$/.exec(request.headers.range ?? '')
      ranges.push(request.headers.range ?? 'none')
      const start = range ? Number(range[1]) : 0
      const headers = { 'accept-ranges': 'bytes', etag: '"v1"', 'content-length': String(file.length - start) }
      if (range)
        response.writeHead(206, { ...headers, 'content-range': `bytes ${start}-${file.length - 1}/${file.length}` })
      else response.writeHead(200, headers)
      // Every answer breaks after 300 KiB, so the file only arrives by resuming.
      const part = file.subarray(start, start + 300 * 1024)
      response.write(part, () => (start + part.length < file.length ? response.destroy() : response.end()))
    })
    const run = await sandbox.step({ inputs: { inputs: `${url}/data.bin`, run: 'sha256sum /inputs/data.bin' } })
    expect(run.errors).toEqual([])
    // The first request asks for the whole file; each retry resumes further on.
    const offsets = ranges.slice(1).map((range) => Number(/^bytes=(\d+)-$/.exec(range)?.[1]))
    expect(ranges[0]).toBe('none')
    expect(offsets.length).toBeGreaterThanOrEqual(3)
    expect(offsets).toEqual([...offsets].sort((x, y) => x - y))
    expect(offsets[0]).toBeGreaterThan(0)
    expect(run.log).toMatch(/Resuming at /)
    expect(run.log).toContain(`${sha256(file)}  /inputs/data.bin`)
    expectNothingLeft(run, { afterMain: false })
  })

  it('reports an HTTP input that resets before any byte, every time, after 5 attempts', async () => {
    let attempts = 0
    const url = await listen((request) => {
      attempts++
      request.socket.destroy()
    })
    const run = await sandbox.step({ inputs: { inputs: `${url}/data.bin`, command: 'true' } })
    expectOneClearError(
      run,
      new RegExp(`^Input '${url.replace(/[.]/g, '\\.')}/data\\.bin': .*socket hang up.*; gave up after 5 attempts\\.$`)
    )
    expect(attempts).toBe(5)
    expectNoOutputs(run)
    expectNothingLeft(run)
  })

  it('survives S3 answering 503 for a while: the SDK retries and the objects arrive whole', async () => {
    const bucket = `cod-hostile-faults-${process.pid}`
    const client = seedingS3Client(s3)
    await client.send(new CreateBucketCommand({ Bucket: bucket }))
    const objects = { 'set/a.bin': randomBytes(200_000), 'set/b.bin': randomBytes(300_000) }
    for (const [key, body] of Object.entries(objects)) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }))
    }
    client.destroy()
    const answered: number[] = []
    let busy = 2
    const endpoint = await proxy(s3.endpoint, {
      answer: (request, response) => {
        if (busy-- <= 0) {
          answered.push(200)
          return false
        }
        answered.push(503)
        request.resume()
        response
          .writeHead(503, { 'content-type': 'application/xml' })
          .end(
            '<?xml version="1.0"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>'
          )
        return true
      }
    })
    const run = await sandbox.step({
      env: s3Env,
      inputs: {
        inputs: `s3://${bucket}/set/`,
        's3-endpoint': endpoint,
        's3-region': 'us-east-1',
        run: 'cd /inputs && sha256sum a.bin b.bin'
      }
    })
    expect(run.errors).toEqual([])
    expect(answered.slice(0, 3)).toEqual([503, 503, 200])
    expect(run.log).toContain(`${sha256(objects['set/a.bin'])}  a.bin`)
    expect(run.log).toContain(`${sha256(objects['set/b.bin'])}  b.bin`)
    expectNothingLeft(run, { afterMain: false })
  })

  it('survives the artifact service answering 500 twice, then recovering', async () => {
    const artifact = artifactEnv()
    await artifact.fail('CreateArtifact', 500, 2)
    const run = await sandbox.step({ env: artifact.env, inputs: { 'artifact-name': 'results', command: 'echo hi' } })
    expect(run.errors).toEqual([])
    const creates = (await artifact.requests()).filter((call) => call.method === 'CreateArtifact')
    expect(creates.map((call) => call.status)).toEqual([500, 500, 200])
    const [uploaded] = await artifact.listArtifacts()
    expect(run.outputs['artifact-id']).toBe(String(uploaded!.id))
    expect((await artifactEntries(uploaded!)).get('stdout')!.toString()).toBe('hi\n')
  })

  it('reports the disk filling while an input is staged, and cleans up', async () => {
    tmpfs = fs.mkdtempSync(path.join(sandbox.root, 'small-disk-'))
    // CI runs as root; a run that cannot mount fails here, saying so, rather than skipping.
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', tmpfs])
    try {
      const big = randomBytes(8 * 2 ** 20)
      const url = await listen((_request, response) => response.end(big))
      const run = await sandbox.step({ runnerTemp: tmpfs, inputs: { inputs: `${url}/big.bin`, command: 'true' } })
      expectOneClearError(
        run,
        new RegExp(`^Input '${url.replace(/[.]/g, '\\.')}/big\\.bin': .*no space left on device`)
      )
      expectNoOutputs(run)
      expectNothingLeft(run)
    } finally {
      unmountTmpfs()
    }
  })

  it('reports a container that someone else removed mid-run, and keeps what it wrote, marked partial', async () => {
    const githubRunId = newRunId()
    const removal = (async () => {
      for (let tries = 0; tries < 300; tries++) {
        const [running] = await docker.listContainers({
          filters: { label: [`compute-over-data.github-run=${githubRunId}`], status: ['running'] }
        })
        if (running) {
          // Give the container time to write before it goes, as a `docker rm -f` from another step would.
          await new Promise((resolve) => setTimeout(resolve, 1000))
          await docker.getContainer(running.Id).remove({ force: true })
          return true
        }
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
      return false
    })()
    const run = await sandbox.step({
      githubRunId,
      inputs: { 'results-dir': 'results-removed', run: 'echo partial > /outputs/p.txt; echo started; sleep 600' }
    })
    expect(await removal).toBe(true)
    expectOneClearError(
      run,
      /^The container was killed from outside this action \(exit code 137\), by docker kill, docker rm -f or the like from another process on the runner; its partial results are in /
    )
    expect(run.outputs).toMatchObject({ 'exit-code': '137', partial: 'true' })
    const results = path.join(sandbox.workspace, 'results-removed')
    expect(fs.readFileSync(path.join(results, 'outputs', 'p.txt'), 'utf8')).toBe('partial\n')
    expect(fs.readFileSync(path.join(results, 'stdout'), 'utf8')).toBe('started\n')
    expect(fs.readFileSync(path.join(results, 'exitCode'), 'utf8')).toBe('137')
    expectNothingLeft(run, { afterMain: false })
  })

  it('survives two runs at once in one job: two containers, two results folders, no clash', async () => {
    const githubRunId = newRunId()
    const runnerTemp = fs.mkdtempSync(path.join(sandbox.root, 'shared-temp-'))
    let overlapped: string[] = []
    const watch = (async () => {
      for (let tries = 0; tries < 300 && overlapped.length < 2; tries++) {
        const running = await docker.listContainers({
          filters: { label: [`compute-over-data.github-run=${githubRunId}`] }
        })
        if (running.length === 2) overlapped = running.flatMap((c) => c.Names).sort()
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
    })()
    const step = (who: string) =>
      sandbox.step({
        githubRunId,
        runnerTemp,
        inputs: { env: `WHO=run-${who}`, run: 'echo "$WHO" > /outputs/who.txt; sleep 5; echo "$WHO"' }
      })
    const [alpha, bravo] = await Promise.all([step('alpha'), step('bravo')])
    await watch
    expect(overlapped).toHaveLength(2)
    expect(overlapped[0]).not.toBe(overlapped[1])
    for (const [run, who, other] of [
      [alpha, 'alpha', 'bravo'],
      [bravo, 'bravo', 'alpha']
    ] as const) {
      expect(run.errors).toEqual([])
      expect(run.exitCode).toBe(0)
      expect(run.log).toContain(`run-${who}`)
      expect(run.log).not.toContain(`run-${other}`)
    }
    expect(alpha.outputs['results-dir']).not.toBe(bravo.outputs['results-dir'])
    expect(await leftovers(githubRunId, runnerTemp)).toEqual({ containers: [], tempFiles: [] })
  })
})
