import { randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import * as dagPb from '@ipld/dag-pb'
import { UnixFS } from 'ipfs-unixfs'
import { create as createKuboClient, type KuboRPCClient } from 'kubo-rpc-client'
import { CID } from 'multiformats/cid'
import { publishToIpfs, retryPolicy } from '../../src/publishers/ipfs.js'
import type { Log } from '../../src/publishers/types.js'
import type { IpfsPublishSettings } from '../../src/spec/job-spec.js'

const api = process.env.COD_IPFS_API!
let client: KuboRPCClient
let tmp: string

function testLog(): Log & { lines: string[]; masked: string[] } {
  const lines: string[] = []
  const masked: string[] = []
  return {
    lines,
    masked,
    info: (m) => lines.push(m),
    warning: (m) => lines.push(`warning: ${m}`),
    debug: () => {},
    group: async (_t, body) => body(),
    mask: (secret) => masked.push(secret)
  }
}

function settings(overrides: Partial<IpfsPublishSettings> = {}): IpfsPublishSettings {
  return {
    headers: [],
    cidVersion: 0,
    pin: true,
    includeHidden: true,
    car: false,
    gatewayUrl: 'https://ipfs.io',
    ...overrides
  }
}

async function publish(resultsDir: string, overrides: Partial<IpfsPublishSettings> = {}) {
  const workDir = await fs.mkdtemp(path.join(tmp, 'work-'))
  const log = testLog()
  const published = await publishToIpfs({ resultsDir, workDir, log }, settings(overrides))
  return { published, workDir, log }
}

/** Writes a tree: a string is a file, null an empty folder, an object a folder. */
type Tree = { [name: string]: string | Buffer | null | Tree }
async function writeTree(dir: string, tree: Tree): Promise<string> {
  await fs.mkdir(dir, { recursive: true })
  for (const [name, value] of Object.entries(tree)) {
    const target = path.join(dir, name)
    if (value === null) await fs.mkdir(target)
    else if (typeof value === 'string' || Buffer.isBuffer(value)) await fs.writeFile(target, value)
    else await writeTree(target, value)
  }
  return dir
}

/** The CID the node itself gives the same folder with `addAll` (its defaults are Kubo's). */
async function nodeCid(dir: string, cidVersion: 0 | 1, includeHidden = true): Promise<string> {
  const entries: Array<{ path: string; content?: Uint8Array }> = [{ path: '/root' }]
  const walk = async (folder: string, prefix: string): Promise<void> => {
    for (const entry of await fs.readdir(folder, { withFileTypes: true })) {
      if (!includeHidden && entry.name.startsWith('.')) continue
      const full = path.join(folder, entry.name)
      if (entry.isDirectory()) {
        entries.push({ path: `${prefix}/${entry.name}` })
        await walk(full, `${prefix}/${entry.name}`)
      } else {
        entries.push({ path: `${prefix}/${entry.name}`, content: await fs.readFile(full) })
      }
    }
  }
  await walk(dir, '/root')
  let root: string | undefined
  for await (const added of client.addAll(entries, { cidVersion, rawLeaves: cidVersion === 1, pin: false })) {
    if (added.path === 'root' || added.path === '/root') root = added.cid.toString()
  }
  if (!root) throw new Error('the node returned no root')
  return root
}

async function unixfsOf(cid: string | CID): Promise<{ node: dagPb.PBNode; unixfs: UnixFS }> {
  const node = dagPb.decode(await client.block.get(CID.parse(cid.toString()) as never))
  return { node, unixfs: UnixFS.unmarshal(node.Data!) }
}

beforeAll(async () => {
  client = createKuboClient({ url: api })
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'cod-ipfs-publish-'))
  retryPolicy.firstDelayMs = 50
})
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true })
})

const bigBin = randomBytes(600_000)
const nested: Tree = {
  stdout: 'hello world\n',
  stderr: '',
  exitCode: '0',
  outputs: {
    'big.bin': bigBin,
    'same.bin': Buffer.alloc(300_000, 1),
    empty: null,
    deep: { a: { b: { c: { 'leaf.txt': 'leaf' } } } },
    'ünïcode ✓.txt': 'names beyond ASCII',
    'B-upper': 'sorts before lower case',
    'a-lower': 'x'
  },
  '.hidden': 'dot file',
  second: { '.git': { config: '[core]' } }
}

describe("offline CIDs match the node's own add", () => {
  test.each([0, 1] as const)('a nested folder as CIDv%s', async (cidVersion) => {
    const dir = await writeTree(path.join(tmp, `nested-v${cidVersion}`), nested)
    const { published } = await publish(dir, { cidVersion })
    expect(published.cid).toBe(await nodeCid(dir, cidVersion))
    expect(published.cid.startsWith(cidVersion === 0 ? 'Qm' : 'bafy')).toBe(true)
  })

  test('an empty results folder and one of empty files', async () => {
    const empty = await writeTree(path.join(tmp, 'empty-results'), {})
    expect((await publish(empty)).published.cid).toBe(await nodeCid(empty, 0))
    const emptyFiles = await writeTree(path.join(tmp, 'empty-files'), { stdout: '', stderr: '', outputs: null })
    expect((await publish(emptyFiles)).published.cid).toBe(await nodeCid(emptyFiles, 0))
  })

  test('dotfiles kept, or dropped as Bacalhau drops them', async () => {
    const dir = await writeTree(path.join(tmp, 'dots'), nested)
    const kept = (await publish(dir, { includeHidden: true })).published.cid
    const dropped = (await publish(dir, { includeHidden: false })).published.cid
    expect(kept).toBe(await nodeCid(dir, 0, true))
    expect(dropped).toBe(await nodeCid(dir, 0, false))
    expect(kept).not.toBe(dropped)
  })
})

describe('publishing to the node', () => {
  test('imports the DAG, pins the offline CID, and the node serves the bytes', async () => {
    const dir = await writeTree(path.join(tmp, 'published'), { ...nested, run: randomBytes(16).toString('hex') })
    const offline = (await publish(dir, { car: true })).published.cid
    // Nothing of it is on the node until the publisher sends it.
    await expect(client.block.stat(CID.parse(offline) as never, { timeout: 1000 })).rejects.toThrow()
    const { published, workDir, log } = await publish(dir, { api, car: true })
    expect(published.cid).toBe(offline)
    expect(published.outputs).toEqual({ cid: offline, 'ipfs-url': `https://ipfs.io/ipfs/${offline}` })
    expect(published.carPath).toBe(path.join(workDir, 'results.car'))
    expect((await fs.stat(published.carPath!)).size).toBeGreaterThan(900_000)
    const pins: string[] = []
    for await (const pin of client.pin.ls({ paths: [CID.parse(offline) as never] })) pins.push(`${pin.cid} ${pin.type}`)
    expect(pins).toEqual([`${offline} recursive`])
    const chunks: Uint8Array[] = []
    for await (const chunk of client.cat(`/ipfs/${offline}/outputs/big.bin`)) chunks.push(chunk)
    expect(Buffer.concat(chunks).equals(bigBin)).toBe(true)
    expect(log.lines.some((line) => line.includes(`the node holds ${offline}`))).toBe(true)
  })

  test('without car, the CAR sent to the node is not left behind; without pin, nothing is pinned', async () => {
    const dir = await writeTree(path.join(tmp, 'unpinned'), { stdout: `unpinned ${Date.now()}\n` })
    const { published, workDir } = await publish(dir, { api, pin: false, cidVersion: 1 })
    expect(published.carPath).toBeUndefined()
    expect(await fs.readdir(workDir)).toEqual([])
    const stat = await client.block.stat(CID.parse(published.cid) as never)
    expect(stat.cid.toString()).toBe(published.cid)
    await expect(
      (async () => {
        for await (const _ of client.pin.ls({ paths: [CID.parse(published.cid) as never] })) void _
      })()
    ).rejects.toThrow(/not pinned/)
  })

  test('a symlink to /etc/passwd is stored as a link, never followed', async () => {
    const dir = await writeTree(path.join(tmp, 'links'), { stdout: 'x' })
    await fs.symlink('/etc/passwd', path.join(dir, 'passwd'))
    await fs.symlink('stdout', path.join(dir, 'relative'))
    const { published } = await publish(dir, { api })
    const { node } = await unixfsOf(published.cid)
    const link = node.Links.find((l) => l.Name === 'passwd')!
    const { unixfs } = await unixfsOf(link.Hash.toString())
    expect(unixfs.type).toBe('symlink')
    expect(new TextDecoder().decode(unixfs.data)).toBe('/etc/passwd')
    expect((await unixfsOf(node.Links.find((l) => l.Name === 'relative')!.Hash.toString())).unixfs.type).toBe('symlink')
  })

  test('a folder of more than 5,000 files gets a HAMT-sharded root, and the node holds exactly it', async () => {
    const dir = path.join(tmp, 'many')
    await fs.mkdir(dir)
    const count = 5_100
    // Names long enough that the links pass Kubo's 256 KiB estimate.
    for (let i = 0; i < count; i++) {
      await fs.writeFile(path.join(dir, `output-record-${String(i).padStart(5, '0')}.json`), `{"i":${i}}`)
    }
    const started = Date.now()
    const { published } = await publish(dir, { api, cidVersion: 1 })
    const { unixfs } = await unixfsOf(published.cid)
    expect(unixfs.type).toBe('hamt-sharded-directory')
    const pins: string[] = []
    for await (const pin of client.pin.ls({ paths: [CID.parse(published.cid) as never] })) pins.push(pin.cid.toString())
    expect(pins).toEqual([published.cid])
    let listed = 0
    for await (const _ of client.ls(published.cid)) listed++
    expect(listed).toBe(count)
    // js-ipfs stores imported blocks one by one: most of the time here is the node's.
    expect(Date.now() - started).toBeLessThan(90_000)
  })
})

describe('talking to the node', () => {
  test('auth headers reach the node on every request, and their values are masked', async () => {
    const target = new URL(api)
    const seen: string[] = []
    const proxy = http.createServer((req, res) => {
      seen.push(`${req.url?.split('?')[0]} ${req.headers.authorization ?? '-'}`)
      if (req.headers.authorization !== 'Bearer s3cret') {
        res
          .writeHead(401, { 'content-type': 'application/json' })
          .end(JSON.stringify({ Message: 'missing token', Code: 0 }))
        req.resume()
        return
      }
      const upstream = http.request(
        { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
        (response) => {
          res.writeHead(response.statusCode ?? 502, response.headers)
          response.pipe(res)
        }
      )
      upstream.on('error', () => res.destroy())
      req.pipe(upstream)
    })
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
    const proxied = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`
    try {
      const dir = await writeTree(path.join(tmp, 'auth'), { stdout: `auth ${Date.now()}\n` })
      const { published, log } = await publish(dir, { api: proxied, headers: [['Authorization', 'Bearer s3cret']] })
      expect(log.masked).toContain('Bearer s3cret')
      expect(seen.length).toBeGreaterThanOrEqual(3)
      expect(seen.every((line) => line.endsWith(' Bearer s3cret'))).toBe(true)
      expect(seen.some((line) => line.startsWith('/api/v0/dag/import'))).toBe(true)
      expect(published.cid).toBe(await nodeCid(dir, 0))

      // Without the header the proxy refuses: a 4xx is not retried and the error names the publisher.
      seen.length = 0
      await expect(publish(dir, { api: proxied })).rejects.toThrow(
        new RegExp(`^IPFS publish to ${proxied}: .*401.*missing token`)
      )
      expect(seen).toHaveLength(1)
    } finally {
      proxy.closeAllConnections()
      await new Promise((resolve) => proxy.close(resolve))
    }
  })

  test('a node that is down is retried, then a clear error names the publisher', async () => {
    // A port that was just free: nothing listens there.
    const probe = http.createServer()
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
    const port = (probe.address() as AddressInfo).port
    await new Promise((resolve) => probe.close(resolve))
    const dir = await writeTree(path.join(tmp, 'down'), { stdout: 'down\n' })
    const workDir = await fs.mkdtemp(path.join(tmp, 'work-'))
    const log = testLog()
    const error = await publishToIpfs(
      { resultsDir: dir, workDir, log },
      settings({ api: `http://127.0.0.1:${port}` })
    ).then(
      () => new Error('publishing succeeded'),
      (e: Error) => e
    )
    expect(error.message).toMatch(
      new RegExp(`^IPFS publish to http://127.0.0.1:${port}: .*ECONNREFUSED.*after 4 attempts`)
    )
    expect(log.lines.filter((line) => line.startsWith('warning: IPFS publish to'))).toHaveLength(3)
    expect(await fs.readdir(workDir)).toEqual([])
  })

  test('a node answering 5xx is retried until it recovers', async () => {
    const target = new URL(api)
    let failures = 2
    const flaky = http.createServer((req, res) => {
      if (failures > 0) {
        failures--
        req.resume()
        res.writeHead(503).end('busy')
        return
      }
      const upstream = http.request(
        { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
        (response) => {
          res.writeHead(response.statusCode ?? 502, response.headers)
          response.pipe(res)
        }
      )
      req.pipe(upstream)
    })
    await new Promise<void>((resolve) => flaky.listen(0, '127.0.0.1', resolve))
    try {
      const dir = await writeTree(path.join(tmp, 'flaky'), { stdout: `flaky ${Date.now()}\n` })
      const { published, log } = await publish(dir, {
        api: `http://127.0.0.1:${(flaky.address() as AddressInfo).port}`
      })
      expect(failures).toBe(0)
      expect(log.lines.filter((line) => line.includes('HTTP 503'))).toHaveLength(2)
      expect(published.cid).toBe(await nodeCid(dir, 0))
    } finally {
      flaky.closeAllConnections()
      await new Promise((resolve) => flaky.close(resolve))
    }
  })
})
