import { randomUUID } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { CarBlockIterator } from '@ipld/car/iterator'
import * as dagPb from '@ipld/dag-pb'
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
/** How much of a file being unpacked may wait for the disk. */
const WRITE_BUFFER_BYTES = 4 * 1024 * 1024
/** Blocks received but not yet on disk: past this, the CAR waits for the disk. */
const UNWRITTEN_LIMIT_BYTES = 32 * 1024 * 1024
const PROGRESS_EVERY_MS = 10_000

/**
 * Stages `ipfs://CID[/path]` as files on the runner. The DAG arrives as a CAR
 * (from the Kubo RPC API's `dag/export` when `ipfs-api` is set, else from a
 * trustless gateway) and every block is hashed against its CID before it is
 * kept; the blocks go to an on-disk store, since inputs may be far larger
 * than memory. Files are unpacked from verified blocks while the CAR still
 * arrives (a block not yet received is waited for), and the staging only
 * succeeds once the whole DAG is proved complete: on any failure everything
 * unpacked is deleted, so no container ever sees part of an input.
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
  const name = segments.at(-1) ?? root.toString()
  const hostPath = path.join(stagingDir, name)
  // Unpacking runs beside the transfer; whatever fails, it has stopped before anything is deleted.
  let unpacking: Promise<number> | undefined
  try {
    let target: CID
    const unpackWhileReceiving = (at: CID): void => {
      unpacking = unpack(at, hostPath, store, signal)
      unpacking.catch(() => {})
    }
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
      const ingesting = store.ingestCar(client.dag.export(target as never, { signal }), `${api} dag/export`)
      unpackWhileReceiving(target)
      await ingesting
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
      const ingesting = store.ingestCar(response.body as AsyncIterable<Uint8Array>, gateway)
      ingesting.catch(() => {})
      // The path's blocks come first in the CAR, so the walk usually waits only for them.
      const resolving = resolve(root, segments, store, fail)
      resolving.then(unpackWhileReceiving, () => {})
      await ingesting
      target = await resolving
    }
    // Everything has arrived: only the disk paces the rest of the unpacking, so the stall watch ends here.
    watchdog.stop()
    store.checkComplete(target)
    log.info(`Verified ${store.blocks} blocks (${store.bytesReceived} bytes); unpacking`)
    const unpacked = await unpacking!
    return {
      hostPath,
      identity: { scheme: 'ipfs', cid: source.cid, subpath: segments.join('/'), resolvedCid: target.toString() },
      bytes: unpacked
    }
  } catch (error) {
    // Nothing half-unpacked may reach a container.
    store.finish(error)
    await unpacking?.catch(() => {})
    await fs.rm(hostPath, { recursive: true, force: true })
    if (watchdog.stalled) throw fail(watchdog.stalled.message, error)
    if (error instanceof Error && error.message.startsWith(`Input '${label}'`)) throw error
    throw fail(describe(error), error)
  } finally {
    watchdog.stop()
    await store.close()
    await fs.rm(store.dir, { recursive: true, force: true })
  }
}

/** How long an IPFS input may go without receiving a byte before it fails; tests may shorten it. */
export const stallPolicy = { ms: 120_000 }

/** Aborts its signal when `touch` has not been called for `ms`. */
class Watchdog {
  private readonly controller = new AbortController()
  private timer: NodeJS.Timeout | undefined
  private stopped = false

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
    if (this.stopped || this.controller.signal.aborted) return
    clearTimeout(this.timer)
    this.timer = setTimeout(() => this.controller.abort(this.stallError()), this.ms)
  }

  stop(): void {
    this.stopped = true
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
 * A block store that accepts only blocks whose bytes hash to their CID,
 * counts the bytes it is sent against the input limit, and remembers each
 * dag-pb block's links so that a DAG can be proved complete. Blocks are
 * appended to one file (a block per file cost an open, a rename and a GC'd
 * read stream each) and read back by offset; a reader asking for a block that
 * has not arrived yet waits for it until the CAR ends.
 */
class VerifiedStore {
  private file?: fs.FileHandle
  private appended = 0
  private readonly offsets = new Map<string, { offset: number; length: number }>()
  /** Blocks whose write to the file has not finished: read from memory meanwhile. */
  private readonly unwritten = new Map<string, Uint8Array>()
  private unwrittenBytes = 0
  private writes = Promise.resolve()
  private readonly links = new Map<string, string[]>()
  private readonly waiting = new Map<string, Array<{ resolve: () => void; reject: (error: Error) => void }>>()
  private ingesting = false
  private ended?: Error
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
  ) {}

  async open(): Promise<void> {
    await fs.mkdir(this.dir)
    this.file = await fs.open(path.join(this.dir, 'blocks'), 'w+')
  }

  async close(): Promise<void> {
    await this.writes.catch(() => {})
    await this.file?.close()
    this.file = undefined
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

  /** Streams a CAR in, block by block; nothing unverified is ever kept. Readers wait for it to end. */
  async ingestCar(car: AsyncIterable<Uint8Array>, from: string): Promise<void> {
    this.ingesting = true
    try {
      await this.readCar(car, from)
      await this.writes
      this.finish()
    } catch (error) {
      this.finish(error)
      throw error
    }
  }

  private async readCar(car: AsyncIterable<Uint8Array>, from: string): Promise<void> {
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

  /** No more blocks will come: readers still waiting fail (with `error`, or as missing). */
  finish(error?: unknown): void {
    this.ingesting = false
    this.ended ??= error instanceof Error ? error : undefined
    for (const [key, waiters] of this.waiting) {
      const failure = this.ended ?? new MissingBlockError(`block ${CID.parse(key)} is missing from what was received.`)
      for (const waiter of waiters) waiter.reject(failure)
    }
    this.waiting.clear()
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
    if (this.offsets.has(key)) return
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
    const offset = this.appended
    this.appended += bytes.byteLength
    this.offsets.set(key, { offset, length: bytes.byteLength })
    this.unwritten.set(key, bytes)
    this.unwrittenBytes += bytes.byteLength
    const file = this.file!
    // Writes at distinct offsets may run side by side; the CAR waits only when too much is unwritten.
    const written = file.write(bytes, 0, bytes.byteLength, offset).then(() => {
      this.unwritten.delete(key)
      this.unwrittenBytes -= bytes.byteLength
    })
    this.writes = Promise.all([this.writes, written]).then(() => {})
    this.writes.catch(() => {})
    this.blocks++
    for (const waiter of this.waiting.get(key) ?? []) waiter.resolve()
    this.waiting.delete(key)
    if (this.unwrittenBytes > UNWRITTEN_LIMIT_BYTES) await written
  }

  /** The exporter's view: a block not here yet is waited for, fetched (and verified), or refused. */
  async *get(cid: { bytes: Uint8Array }): AsyncGenerator<Uint8Array> {
    const parsed = CID.decode(cid.bytes)
    if (parsed.multihash.code === IDENTITY) {
      yield parsed.multihash.digest
      return
    }
    const key = keyOf(parsed)
    if (!this.offsets.has(key)) {
      if (this.ingesting) {
        await new Promise<void>((resolve, reject) => {
          const waiters = this.waiting.get(key) ?? []
          waiters.push({ resolve, reject })
          this.waiting.set(key, waiters)
        })
      } else if (this.fetchMissing && !this.ended) {
        const bytes = await this.fetchMissing(parsed)
        this.count(bytes.byteLength)
        await this.putVerified(parsed, bytes)
      } else {
        throw this.ended ?? new MissingBlockError(`block ${parsed} is missing from what was received.`)
      }
    }
    const held = this.unwritten.get(key)
    if (held) {
      yield held
      return
    }
    const { offset, length } = this.offsets.get(key)!
    const buffer = Buffer.allocUnsafe(length)
    for (let read = 0; read < length;) {
      const { bytesRead } = await this.file!.read(buffer, read, length - read, offset + read)
      if (bytesRead === 0) throw new Error(`the block store ended early reading block ${parsed}`)
      read += bytesRead
    }
    yield buffer
  }

  /** Every block reachable from `root` must be here before the input is staged. */
  checkComplete(root: CID): void {
    const pending = [keyOf(root)]
    const visited = new Set<string>()
    while (pending.length > 0) {
      const key = pending.pop()!
      if (visited.has(key)) continue
      visited.add(key)
      const cid = CID.parse(key)
      if (cid.multihash.code === IDENTITY) continue
      if (!this.offsets.has(key)) {
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
    // A deep write queue, so the next blocks are read while earlier ones are written.
    await pipeline(Readable.from(counted), createWriteStream(dest, { flags: 'wx', highWaterMark: WRITE_BUFFER_BYTES }))
    if (entry.type === 'file' && entry.unixfs.mode !== undefined) await fs.chmod(dest, entry.unixfs.mode & 0o777)
    return written
  }
  throw new Error(`${cid} is a ${entry.type} node, not a UnixFS file or folder.`)
}
