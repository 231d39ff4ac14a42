import { randomUUID } from 'node:crypto'
import { createReadStream } from 'node:fs'
import fs from 'node:fs/promises'
import http, { type IncomingMessage } from 'node:http'
import https from 'node:https'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import { CarWriter } from '@ipld/car/writer'
import { CID } from 'multiformats/cid'
import type { IpfsPublishSettings } from '../spec/job-spec.js'
import { buildUnixfsDag, type PutBlock } from './unixfs-dag.js'
import type { Log, Published, PublishContext } from './types.js'

export { buildUnixfsDag, kuboImporterOptions } from './unixfs-dag.js'

export interface IpfsPublished extends Published {
  cid: string
  /** Set when `settings.car` asked for the CAR to be kept. */
  carPath?: string
}

/**
 * The node could not take the results, but the CID was computed on the
 * runner: it is still an output (the user can pin it later from the CAR) and
 * the CAR still goes into the artifact.
 */
export class IpfsImportError extends Error {
  constructor(
    message: string,
    readonly offline: IpfsPublished
  ) {
    super(message)
    this.name = 'IpfsImportError'
  }
}

/** How often and how long to wait before trying the node again; tests may shorten it. */
export const retryPolicy = { attempts: 4, firstDelayMs: 500 }

const PROGRESS_EVERY_BYTES = 256 * 1024 * 1024

/**
 * Computes the CID of the results folder on the runner (as `ipfs add -r` with
 * Kubo's defaults would), optionally keeps the DAG as a CARv1, and when an API
 * is set imports that CAR into the node and checks the node holds the root.
 */
export async function publishToIpfs(context: PublishContext, settings: IpfsPublishSettings): Promise<IpfsPublished> {
  const { log } = context
  const sendsCar = settings.api !== undefined
  const carPath = settings.car
    ? path.join(context.workDir, 'results.car')
    : sendsCar
      ? path.join(context.workDir, `results-${randomUUID()}.car.partial`)
      : undefined
  try {
    const started = Date.now()
    let root: CID
    try {
      root = carPath
        ? await buildCar(context, settings, carPath)
        : (await buildDag(context, settings, async () => {})).cid
    } catch (error) {
      // Reading the results failed, not the node: say which publisher it was.
      throw new Error(`IPFS: ${(error as Error).message}`, { cause: error })
    }
    const cid = root.toString()
    log.info(`Results CID ${cid} (computed on the runner in ${((Date.now() - started) / 1000).toFixed(1)} s)`)
    const offline: IpfsPublished = { publisher: 'ipfs', outputs: { cid }, cid, ...(settings.car ? { carPath } : {}) }
    if (settings.api !== undefined && carPath) {
      try {
        await importCar(settings.api, settings, carPath, root, log)
      } catch (error) {
        throw new IpfsImportError((error as Error).message, offline)
      }
    }
    return { ...offline, outputs: { cid, 'ipfs-url': `${settings.gatewayUrl.replace(/\/+$/, '')}/ipfs/${cid}` } }
  } finally {
    if (carPath && !settings.car) await fs.rm(carPath, { force: true })
  }
}

function buildDag(context: PublishContext, settings: IpfsPublishSettings, put: PutBlock) {
  let nextReport = PROGRESS_EVERY_BYTES
  return buildUnixfsDag(
    context.resultsDir,
    {
      cidVersion: settings.cidVersion,
      includeHidden: settings.includeHidden,
      onSkipped: (relative, reason) => context.log.warning(`IPFS: skipped ${relative}: ${reason}.`),
      onBytesRead: (total) => {
        if (total >= nextReport) {
          context.log.info(`IPFS: hashed ${(total / 1024 / 1024).toFixed(0)} MiB of results`)
          nextReport += PROGRESS_EVERY_BYTES
        }
      }
    },
    put
  )
}

/**
 * The root is only known once every file is read, yet a CAR names its roots
 * first: the header is written with a placeholder of the same length (the
 * empty folder's CID in the same version) and rewritten in place at the end.
 */
async function buildCar(context: PublishContext, settings: IpfsPublishSettings, carPath: string): Promise<CID> {
  await fs.mkdir(path.dirname(carPath), { recursive: true })
  const placeholder = CID.parse(
    settings.cidVersion === 0
      ? 'QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn'
      : 'bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354'
  )
  const { writer, out } = CarWriter.create([asCarCid(placeholder)])
  const file = await fs.open(carPath, 'w')
  const drained = (async () => {
    for await (const chunk of out) await file.write(chunk)
  })()
  // Identical files give identical blocks: each goes into the CAR once.
  const written = new Set<string>()
  let queue = Promise.resolve()
  let root: CID
  try {
    const result = await buildDag(context, settings, (cid, bytes) => {
      const key = cid.toString()
      if (written.has(key)) return queue
      written.add(key)
      // CarWriter wants one put at a time, in order.
      queue = queue.then(() => writer.put({ cid: asCarCid(cid), bytes }))
      return queue
    })
    root = result.cid
    await queue
    await writer.close()
    await drained
  } catch (error) {
    await writer.close().catch(() => {})
    await drained.catch(() => {})
    await file.close()
    await fs.rm(carPath, { force: true })
    throw error
  }
  await file.close()
  const handle = await fs.open(carPath, 'r+')
  try {
    await CarWriter.updateRootsInFile(handle, [asCarCid(root)])
  } finally {
    await handle.close()
  }
  return root
}

/**
 * @ipld/car carries its own copy of multiformats; a CID crosses between the
 * copies by its bytes, which both read the same way.
 */
function asCarCid(cid: CID): Parameters<CarWriter['put']>[0]['cid'] {
  return cid as unknown as Parameters<CarWriter['put']>[0]['cid']
}

async function importCar(
  api: string,
  settings: IpfsPublishSettings,
  carPath: string,
  root: CID,
  log: Log
): Promise<void> {
  for (const [, value] of settings.headers) if (value) log.mask(value)
  const node = new RpcNode(api, settings.headers)
  const where = `IPFS publish to ${api}`
  const size = (await fs.stat(carPath)).size
  log.info(`IPFS: importing ${size} bytes of CAR into ${api}${settings.pin ? ' and pinning the root' : ''}`)
  const imported = await withRetries(where, log, async () => {
    const roots: string[] = []
    for (const result of await node.importCar(carPath, size, settings.pin)) {
      if (settings.pin && result.pinErrorMsg) {
        throw new PermanentError(`pinning ${result.cid} failed: ${result.pinErrorMsg}`)
      }
      roots.push(result.cid)
    }
    return roots
  })
  if (settings.pin && !imported.some((cid) => sameCid(cid, root))) {
    throw new Error(
      `${where}: the node reported root(s) ${imported.join(', ') || '(none)'} but the results root is ${root}.`
    )
  }
  await withRetries(where, log, () => checkHeld(node, root, settings.pin))
  log.info(`IPFS: the node holds ${root}${settings.pin ? ' and lists it as pinned' : ''}`)
}

/** An RPC answer other than 2xx, shaped as kubo-rpc-client's errors are (`response.status`, the node's message). */
class RpcHttpError extends Error {
  constructor(
    message: string,
    readonly response: { status: number }
  ) {
    super(message)
  }
}

/**
 * The three Kubo RPC calls publishing needs, over node:http. kubo-rpc-client
 * posts with fetch, which read the whole CAR into memory ahead of the socket
 * (a 10 GiB result held 10 GiB); here the CAR streams at the pace the node
 * reads it, and publishing never loads the client (ipfs:// inputs do). URLs,
 * parameters and errors follow the client: the RPC's own path or /api/v0,
 * and an error carries `response.status` and the node's message.
 */
class RpcNode {
  private readonly base: URL

  constructor(
    api: string,
    private readonly headers: Array<[name: string, value: string]>
  ) {
    this.base = new URL(api)
    if (this.base.pathname === '/' || this.base.pathname === '') this.base.pathname = '/api/v0'
  }

  /** `dag/import` of one CAR file (one multipart file part); the roots it reports. */
  async importCar(
    carPath: string,
    size: number,
    pinRoots: boolean
  ): Promise<Array<{ cid: string; pinErrorMsg?: string }>> {
    const boundary = `----compute-over-data-${randomUUID()}`
    const head = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="results.car"\r\n` +
        'Content-Type: application/octet-stream\r\n\r\n'
    )
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`)
    async function* body(): AsyncGenerator<Buffer> {
      yield head
      yield* createReadStream(carPath, { highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>
      yield tail
    }
    const text = await this.call(
      'dag/import',
      { 'pin-roots': String(pinRoots) },
      {
        body: body(),
        headers: {
          'content-type': `multipart/form-data; boundary=${boundary}`,
          'content-length': String(head.length + size + tail.length)
        }
      }
    )
    const roots: Array<{ cid: string; pinErrorMsg?: string }> = []
    for (const line of text.split('\n')) {
      if (!line.trim()) continue
      const root = (JSON.parse(line) as { Root?: { Cid?: { '/': string }; PinErrorMsg?: string } }).Root
      if (root?.Cid) roots.push({ cid: root.Cid['/'], ...(root.PinErrorMsg ? { pinErrorMsg: root.PinErrorMsg } : {}) })
    }
    return roots
  }

  /** `block/stat`: the CID the node holds the block under. */
  async blockStat(cid: CID): Promise<string> {
    return (JSON.parse(await this.call('block/stat', { arg: cid.toString() })) as { Key: string }).Key
  }

  /** `pin/ls` of one CID: the pins the node lists for it (an error when there is none). */
  async pinLs(cid: CID): Promise<string[]> {
    return Object.keys((JSON.parse(await this.call('pin/ls', { arg: cid.toString() })) as { Keys?: object }).Keys ?? {})
  }

  private async call(
    command: string,
    params: Record<string, string>,
    upload?: { body: AsyncIterable<Buffer>; headers: Record<string, string> }
  ): Promise<string> {
    const url = new URL(this.base)
    url.pathname = `${url.pathname.replace(/\/+$/, '')}/${command}`
    url.search = new URLSearchParams(params).toString()
    const client = url.protocol === 'https:' ? https : http
    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      const request = client.request(url, {
        method: 'POST',
        headers: { ...Object.fromEntries(this.headers), ...upload?.headers }
      })
      request.on('response', resolve)
      request.on('error', reject)
      if (!upload) request.end()
      // A node that answers early (401, 5xx) ends the upload; its answer is what counts.
      else pipeline(upload.body, request).catch((error: Error) => request.destroy(error))
    })
    let text = ''
    for await (const chunk of response.setEncoding('utf8')) text += chunk as string
    const status = response.statusCode ?? 0
    if (status >= 200 && status < 300) return text
    let message = text.trim() || `${status} ${response.statusMessage ?? ''}`.trim()
    if ((response.headers['content-type'] ?? '').startsWith('application/json')) {
      try {
        const data = JSON.parse(text) as { Message?: string; message?: string }
        message = data.Message ?? data.message ?? message
      } catch {
        // Not JSON after all: the text is the message.
      }
    }
    throw new RpcHttpError(message, { status })
  }
}

async function checkHeld(node: RpcNode, root: CID, pin: boolean): Promise<void> {
  const held = await node.blockStat(root)
  if (!sameCid(held, root)) {
    throw new PermanentError(`the node answered for ${held} when asked for the results root ${root}.`)
  }
  if (!pin) return
  let pinned: string[]
  try {
    pinned = await node.pinLs(root)
  } catch (error) {
    if (isRetryable(error)) throw error
    throw new PermanentError(`the results root ${root} is not pinned: ${(error as Error).message}`)
  }
  if (!pinned.some((cid) => sameCid(cid, root))) {
    throw new PermanentError(`the node lists ${pinned.join(', ') || 'no pin'} instead of the results root ${root}.`)
  }
}

/** A node may answer with the CIDv1 form of a CIDv0: the same block either way. */
function sameCid(a: string, b: CID): boolean {
  try {
    return CID.parse(a).toV1().equals(b.toV1())
  } catch {
    return false
  }
}

/** An error that retrying cannot fix. */
class PermanentError extends Error {}

async function withRetries<T>(where: string, log: Log, attempt: () => Promise<T>): Promise<T> {
  let delay = retryPolicy.firstDelayMs
  for (let n = 1; ; n++) {
    try {
      return await attempt()
    } catch (error) {
      const message = describe(error)
      if (error instanceof PermanentError || !isRetryable(error) || n >= retryPolicy.attempts) {
        throw new Error(`${where}: ${message}${n > 1 ? ` (after ${n} attempts)` : ''}`, { cause: error })
      }
      log.warning(
        `${where}: ${message}; trying again in ${(delay / 1000).toFixed(1)} s (attempt ${n + 1} of ${retryPolicy.attempts})`
      )
      await new Promise((resolve) => setTimeout(resolve, delay))
      delay *= 2
    }
  }
}

function status(error: unknown): number | undefined {
  const response = (error as { response?: { status?: unknown } } | undefined)?.response
  return typeof response?.status === 'number' ? response.status : undefined
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT'
])

function isRetryable(error: unknown): boolean {
  if (error instanceof PermanentError) return false
  const code = status(error)
  if (code !== undefined) return code >= 500
  if ((error as Error)?.name === 'TimeoutError') return true
  for (let e = error as { code?: string; cause?: unknown; message?: string } | undefined; e; e = e.cause as typeof e) {
    if (e.code && NETWORK_CODES.has(e.code)) return true
    if (e.message === 'fetch failed') return true
  }
  return false
}

function describe(error: unknown): string {
  const code = status(error)
  const message = (error as Error)?.message ?? String(error)
  const causes: string[] = []
  for (
    let e = (error as { cause?: unknown })?.cause as { code?: string; message?: string; cause?: unknown } | undefined;
    e;
    e = e.cause as typeof e
  ) {
    causes.push(e.code ?? e.message ?? '')
  }
  const detail = causes.filter(Boolean).join(': ')
  if (code !== undefined) return `the node answered HTTP ${code}: ${message}`
  return detail && !message.includes(detail) ? `${message} (${detail})` : message
}
