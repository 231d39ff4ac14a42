import { randomUUID } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { CarBlockIterator } from '@ipld/car/iterator'
import * as dagPb from '@ipld/dag-pb'
import { FsBlockstore } from 'blockstore-fs'
import { exporter, walkPath, type UnixFSEntry } from 'ipfs-unixfs-exporter'
import { create as createKuboClient } from 'kubo-rpc-client'
import { CID } from 'multiformats/cid'
import { identity } from 'multiformats/hashes/identity'
import { sha256, sha512 } from 'multiformats/hashes/sha2'
import type { InputSource } from '../spec/job-spec.js'
import type { Log, Stager } from './types.js'

type IpfsSource = Extract<InputSource, { scheme: 'ipfs' }>

const DAG_PB = 0x70
const IDENTITY = 0x00
const HASHERS = new Map<number, (bytes: Uint8Array) => Promise<Uint8Array> | Uint8Array>([
  [sha256.code, async (bytes) => (await sha256.digest(bytes)).digest],
  [sha512.code, async (bytes) => (await sha512.digest(bytes)).digest],
  [identity.code, (bytes) => identity.digest(bytes).digest]
])
const PROGRESS_EVERY_BYTES = 64 * 1024 * 1024
const PROGRESS_EVERY_MS = 10_000

/**
 * Stages `ipfs://CID[/path]` as files on the runner. The DAG arrives as a CAR
 * (from the Kubo RPC API's `dag/export` when `ipfs-api` is set, else from a
 * trustless gateway) and every block is hashed against its CID before it is
 * kept; the blocks wait in an on-disk store, since inputs may be far larger
 * than memory, and only a complete, verified DAG is unpacked.
 */
export const stageIpfs: Stager<IpfsSource> = async (request) => {
  const { source, stagingDir, settings, log } = request
  const segments = source.subpath.split('/').filter(Boolean)
  const label = `ipfs://${source.cid}${segments.length ? `/${segments.join('/')}` : ''}`
  const fail = (problem: string, cause?: unknown): Error => new Error(`Input '${label}': ${problem}`, { cause })
  // A node asked for a CID it does not have waits for it forever (offline, or
  // searching the network): with no byte for this long, the input fails.
  const from = settings.ipfsApi ? `the IPFS node at ${settings.ipfsApi}` : `the gateway ${settings.ipfsGateway}`
  const watchdog = new Watchdog(
    stallPolicy.ms,
    () =>
      new Error(
        `no data from ${from} for ${stallPolicy.ms / 1000} s; it may not have this CID (is it pinned, or provided to the network?).`
      )
  )
  const signal = request.signal ? AbortSignal.any([request.signal, watchdog.signal]) : watchdog.signal
  let root: CID
  try {
    root = CID.parse(source.cid)
  } catch (error) {
    throw fail('not a valid CID.', error)
  }

  // A random name: a folder in the DAG could not be called this by accident.
  const store = new VerifiedStore(path.join(stagingDir, `.blocks-${randomUUID()}`), label, settings.maxInputBytes, log)
  store.onProgress = () => watchdog.touch()
  await store.open()
  let hostPath: string | undefined
  try {
    let target: CID
    if (settings.ipfsApi) {
      const api = settings.ipfsApi
      const client = createKuboClient({ url: api, headers: Object.fromEntries(settings.ipfsApiHeaders ?? []) })
      log.info(`Fetching ${label} from the IPFS node at ${api}`)
      // The node may say what the path leads to, but only blocks we hashed
      // ourselves are believed: the walk fetches each block along the path.
      store.fetchMissing = async (cid) => {
        try {
          return await client.block.get(cid as never, { signal })
        } catch (error) {
          throw fail(`the IPFS node at ${api} could not return block ${cid}: ${(error as Error).message}`, error)
        }
      }
      target = await resolve(root, segments, store, fail)
      store.fetchMissing = undefined
      await store.ingestCar(client.dag.export(target as never, { signal }), `${api} dag/export`)
    } else {
      const gateway = settings.ipfsGateway.replace(/\/+$/, '')
      const url = `${gateway}/ipfs/${root}${segments.map((s) => `/${encodeURIComponent(s)}`).join('')}?format=car${segments.length ? '&dag-scope=all' : ''}`
      log.info(`Fetching ${label} as a CAR from ${gateway}`)
      let response: Response
      try {
        response = await fetch(url, { headers: { accept: 'application/vnd.ipld.car' }, signal })
      } catch (error) {
        throw fail(`could not reach the gateway ${gateway}: ${describe(error)}`, error)
      }
      if (!response.ok || !response.body) {
        const body = (await response.text().catch(() => '')).slice(0, 300).trim()
        const problem =
          response.status === 404 && segments.length
            ? `the path "${segments.join('/')}" does not exist in ${root} (the gateway answered 404${body ? `: ${body}` : ''}).`
            : `the gateway ${gateway} answered HTTP ${response.status}${body ? `: ${body}` : ''}.`
        throw fail(problem)
      }
      await store.ingestCar(response.body as AsyncIterable<Uint8Array>, gateway)
      target = await resolve(root, segments, store, fail)
    }
    store.checkComplete(target)
    log.info(`Verified ${store.blocks} blocks (${store.bytesReceived} bytes); unpacking`)
    const name = segments.at(-1) ?? root.toString()
    hostPath = path.join(stagingDir, name)
    const unpacked = await unpack(target, hostPath, store, signal)
    return {
      hostPath,
      identity: { scheme: 'ipfs', cid: source.cid, subpath: segments.join('/'), resolvedCid: target.toString() },
      bytes: unpacked
    }
  } catch (error) {
    // Nothing half-unpacked may reach a container.
    if (hostPath) await fs.rm(hostPath, { recursive: true, force: true })
    if (watchdog.stalled) throw fail(watchdog.stalled.message, error)
    if (error instanceof Error && error.message.startsWith(`Input '${label}'`)) throw error
    throw fail(describe(error), error)
  } finally {
    watchdog.stop()
    await fs.rm(store.dir, { recursive: true, force: true })
  }
}

/** How long an IPFS input may go without receiving a byte before it fails; tests may shorten it. */
export const stallPolicy = { ms: 120_000 }

/** Aborts its signal when `touch` has not been called for `ms`. */
class Watchdog {
  private readonly controller = new AbortController()
  private timer: NodeJS.Timeout | undefined

  constructor(
    private readonly ms: number,
    private readonly stallError: () => Error
  ) {
    this.touch()
  }

  get signal(): AbortSignal {
    return this.controller.signal
  }

  /** The reason, once it fired. */
  get stalled(): Error | undefined {
    return this.controller.signal.aborted ? (this.controller.signal.reason as Error) : undefined
  }

  touch(): void {
    if (this.controller.signal.aborted) return
    clearTimeout(this.timer)
    this.timer = setTimeout(() => this.controller.abort(this.stallError()), this.ms)
  }

  stop(): void {
    clearTimeout(this.timer)
  }
}

/** Walks `segments` from `root` over verified blocks only; the last CID is the target. */
async function resolve(
  root: CID,
  segments: string[],
  store: VerifiedStore,
  fail: (problem: string, cause?: unknown) => Error
): Promise<CID> {
  if (segments.length === 0) return root
  let target: CID | undefined
  let remainder: string[] = segments
  try {
    for await (const entry of walkPath(`${root}/${segments.join('/')}`, store)) {
      target = CID.decode(entry.cid.bytes)
      remainder = entry.remainder
    }
  } catch (error) {
    if (error instanceof MissingBlockError) throw fail(error.message, error)
    if ((error as Error).message?.startsWith('Input ')) throw error
    throw fail(`the path "${segments.join('/')}" does not exist in ${root}: ${(error as Error).message}`, error)
  }
  if (!target || remainder.length > 0) {
    throw fail(`the path "${segments.join('/')}" does not exist in ${root}.`)
  }
  return target
}

class MissingBlockError extends Error {}

/**
 * An on-disk block store that accepts only blocks whose bytes hash to their
 * CID, counts the bytes it is sent against the input limit, and remembers
 * each dag-pb block's links so that a DAG can be proved complete before any
 * file is written.
 */
class VerifiedStore {
  private readonly fsStore: FsBlockstore
  private readonly links = new Map<string, string[]>()
  private readonly held = new Set<string>()
  blocks = 0
  bytesReceived = 0
  private nextReportBytes = PROGRESS_EVERY_BYTES
  private nextReportAt = Date.now() + PROGRESS_EVERY_MS
  fetchMissing?: (cid: CID) => Promise<Uint8Array>
  /** Called whenever bytes arrive. */
  onProgress?: () => void

  constructor(
    readonly dir: string,
    private readonly label: string,
    private readonly maxBytes: number | undefined,
    private readonly log: Log
  ) {
    this.fsStore = new FsBlockstore(dir)
  }

  async open(): Promise<void> {
    await this.fsStore.open()
  }

  private count(bytes: number): void {
    this.onProgress?.()
    this.bytesReceived += bytes
    if (this.maxBytes !== undefined && this.bytesReceived > this.maxBytes) {
      throw new Error(
        `Input '${this.label}': it is larger than max-input-size (${this.maxBytes} bytes); stopped after receiving ${this.bytesReceived} bytes.`
      )
    }
    if (this.bytesReceived >= this.nextReportBytes || Date.now() >= this.nextReportAt) {
      this.log.info(
        `${this.label}: received ${(this.bytesReceived / 1024 / 1024).toFixed(1)} MiB, ${this.blocks} blocks verified`
      )
      while (this.nextReportBytes <= this.bytesReceived) this.nextReportBytes += PROGRESS_EVERY_BYTES
      this.nextReportAt = Date.now() + PROGRESS_EVERY_MS
    }
  }

  /** Streams a CAR in, block by block; nothing unverified is ever written. */
  async ingestCar(car: AsyncIterable<Uint8Array>, from: string): Promise<void> {
    const counted = async function* (this: VerifiedStore) {
      for await (const chunk of car) {
        this.count(chunk.byteLength)
        yield chunk
      }
    }.call(this)
    let iterator: AsyncIterable<{ cid: { bytes: Uint8Array }; bytes: Uint8Array }>
    try {
      iterator = await CarBlockIterator.fromIterable(counted)
    } catch (error) {
      // The cause says why (a host that does not resolve, a refused connection); "fetch failed" alone does not.
      throw this.error(`${from} did not send a CAR: ${describe(error)}`, error)
    }
    try {
      for await (const block of iterator) await this.putVerified(CID.decode(block.cid.bytes), block.bytes)
    } catch (error) {
      if ((error as Error).message?.startsWith('Input ')) throw error
      throw this.error(`reading the CAR from ${from} failed: ${describe(error)}`, error)
    }
  }

  private error(problem: string, cause?: unknown): Error {
    return new Error(`Input '${this.label}': ${problem}`, { cause })
  }

  async putVerified(cid: CID, bytes: Uint8Array): Promise<void> {
    const hash = HASHERS.get(cid.multihash.code)
    if (!hash) {
      throw this.error(
        `block ${cid} uses hash function 0x${cid.multihash.code.toString(16)}, which cannot be verified here.`
      )
    }
    const digest = await hash(bytes)
    if (!equalBytes(digest, cid.multihash.digest)) {
      throw this.error(`block ${cid} does not match its CID (its bytes hash to something else); the data was refused.`)
    }
    const key = keyOf(cid)
    if (this.held.has(key)) return
    if (cid.code === DAG_PB) {
      let node: dagPb.PBNode
      try {
        node = dagPb.decode(bytes)
      } catch (error) {
        throw this.error(`block ${cid} is not valid dag-pb: ${(error as Error).message}`, error)
      }
      this.links.set(
        key,
        node.Links.map((link) => keyOf(CID.decode(link.Hash.bytes)))
      )
    }
    await this.fsStore.put(cid as never, bytes)
    this.held.add(key)
    this.blocks++
  }

  /** The exporter's view: a missing block is fetched (and verified) or refused. */
  async *get(cid: { bytes: Uint8Array }): AsyncGenerator<Uint8Array> {
    const parsed = CID.decode(cid.bytes)
    if (parsed.multihash.code === IDENTITY) {
      yield parsed.multihash.digest
      return
    }
    if (!this.held.has(keyOf(parsed))) {
      if (!this.fetchMissing) throw new MissingBlockError(`block ${parsed} is missing from what was received.`)
      const bytes = await this.fetchMissing(parsed)
      this.count(bytes.byteLength)
      await this.putVerified(parsed, bytes)
    }
    yield* this.fsStore.get(parsed as never)
  }

  /** Every block reachable from `root` must be here before one byte is unpacked. */
  checkComplete(root: CID): void {
    const pending = [keyOf(root)]
    const visited = new Set<string>()
    while (pending.length > 0) {
      const key = pending.pop()!
      if (visited.has(key)) continue
      visited.add(key)
      const cid = CID.parse(key)
      if (cid.multihash.code === IDENTITY) continue
      if (!this.held.has(key)) {
        throw this.error(`block ${cid} of ${root} was not received; refusing an incomplete DAG.`)
      }
      pending.push(...(this.links.get(key) ?? []))
    }
  }
}

/** CIDv0 and its CIDv1 form name the same block. */
function keyOf(cid: CID): string {
  return cid.toV1().toString()
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return (
    a.byteLength === b.byteLength &&
    Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength))
  )
}

function describe(error: unknown): string {
  const parts: string[] = []
  for (let e = error as { message?: string; code?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    const part = e.code && !e.message?.includes(e.code) ? `${e.message} (${e.code})` : (e.message ?? String(e))
    if (part && !parts.some((p) => p.includes(part))) parts.push(part)
  }
  return parts.join(': ') || String(error)
}

/** A name in a directory must be one plain path segment. */
function checkName(name: string, parent: string): void {
  if (!name || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) {
    throw new Error(`the folder ${parent} holds an entry named ${JSON.stringify(name)}, which is not a safe file name.`)
  }
}

/**
 * Writes the UnixFS entry at `cid` to `dest`. Files are opened with O_EXCL and
 * folders made one by one, so a DAG holding a symlink and a folder of the same
 * name can never make us write through that link.
 */
async function unpack(cid: CID, dest: string, store: VerifiedStore, signal?: AbortSignal): Promise<number> {
  signal?.throwIfAborted()
  // A string path: the exporter's multiformats is not ours, so our CID objects fail its checks.
  const entry: UnixFSEntry = await exporter(cid.toString(), store, { signal })
  if (entry.type === 'directory') {
    await fs.mkdir(dest)
    let total = 0
    const seen = new Set<string>()
    for await (const child of entry.entries({ signal })) {
      checkName(child.name, dest)
      if (seen.has(child.name)) throw new Error(`the folder ${dest} lists "${child.name}" twice.`)
      seen.add(child.name)
      total += await unpack(CID.decode(child.cid.bytes), path.join(dest, child.name), store, signal)
    }
    // Applied last: a read-only folder must still be filled first.
    if (entry.unixfs.mode !== undefined) await fs.chmod(dest, entry.unixfs.mode & 0o777)
    return total
  }
  if (entry.type === 'file' && entry.unixfs.type === 'symlink') {
    await fs.symlink(new TextDecoder().decode(entry.unixfs.data ?? new Uint8Array()), dest)
    return 0
  }
  if (entry.type === 'file' || entry.type === 'raw' || entry.type === 'identity') {
    let written = 0
    const content = entry.content({ signal })
    const counted = (async function* () {
      for await (const chunk of content) {
        written += chunk.byteLength
        yield chunk
      }
    })()
    await pipeline(Readable.from(counted), createWriteStream(dest, { flags: 'wx' }))
    if (entry.type === 'file' && entry.unixfs.mode !== undefined) await fs.chmod(dest, entry.unixfs.mode & 0o777)
    return written
  }
  throw new Error(`${cid} is a ${entry.type} node, not a UnixFS file or folder.`)
}
