import { createHash, randomBytes, type Hash } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import fs from 'node:fs/promises'
import http, { type IncomingMessage } from 'node:http'
import https from 'node:https'
import { once } from 'node:events'
import { finished } from 'node:stream/promises'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { InputSource } from '../spec/job-spec.js'
import { isSecretParam } from '../spec/redact.js'
import { formatBytes } from '../format.js'
import { Progress } from './progress.js'
import type { Log, StageRequest, Stager } from './types.js'

type HttpSource = Extract<InputSource, { scheme: 'http' }>

const MAX_ATTEMPTS = 5
const MAX_REDIRECTS = 10
const BACKOFF_BASE_MS = 300
const BACKOFF_MAX_MS = 5_000
/** A connection that sends nothing for this long is treated like a reset. */
const IDLE_TIMEOUT_MS = 60_000
const FALLBACK_NAME = 'download'
/** How much of the body may wait for the disk while the next chunks are read. */
const WRITE_BUFFER_BYTES = 4 * 2 ** 20

/**
 * Downloads one URL to one file in the staging folder, as Bacalhau's URL
 * source does, but without its HEAD/Content-Length requirement, with resume
 * after a dropped connection, and with secrets in the URL kept out of the log.
 */
export const stageHttp: Stager<HttpSource> = async (request) => {
  const { source, log } = request
  const secrets = new Secrets(log)
  const url = secrets.take(new URL(source.url))
  const label = secrets.redactUrl(url)
  const fail = (problem: string): Error => new Error(secrets.redact(`Input '${label}': ${problem}`))

  const partial = path.join(request.stagingDir, `.partial-${randomBytes(6).toString('hex')}`)
  const file = await fs.open(partial, 'w')
  let download: Download
  try {
    download = await downloadWithRetries(url, file, { request, secrets, fail, label })
  } catch (error) {
    await fs.rm(partial, { force: true })
    throw error
  } finally {
    await file.close().catch(() => {})
  }

  const sha256 = download.hash.digest('hex')
  if (source.checksumSha256 && sha256 !== source.checksumSha256.toLowerCase()) {
    await fs.rm(partial, { force: true })
    throw fail(
      `checksum mismatch: expected SHA-256 ${source.checksumSha256.toLowerCase()}, got ${sha256}; the download was deleted.`
    )
  }
  const hostPath = path.join(request.stagingDir, download.filename)
  await fs.rename(partial, hostPath)
  return {
    hostPath,
    bytes: download.bytes,
    identity: {
      scheme: 'http',
      url: label,
      finalUrl: secrets.redactUrl(download.finalUrl),
      sha256,
      filename: download.filename
    }
  }
}

interface Context {
  request: StageRequest<HttpSource>
  secrets: Secrets
  fail: (problem: string) => Error
  label: string
}

interface Download {
  filename: string
  finalUrl: URL
  bytes: number
  hash: Hash
}

/** Thrown for what another attempt may fix: a 5xx, a reset, a stall. */
class Retryable extends Error {
  constructor(
    message: string,
    readonly retryAfterMs?: number
  ) {
    super(message)
  }
}

async function downloadWithRetries(url: URL, file: fs.FileHandle, context: Context): Promise<Download> {
  const { request, fail, secrets } = context
  const { log } = request
  const maxBytes = request.settings.maxInputBytes
  let bytes = 0
  let hash = createHash('sha256')
  let filename: string | undefined
  let finalUrl = url
  // A resume is only sent when the first response offered byte ranges, and
  // If-Range makes the server answer 200 (a restart) if the file changed.
  let resumable = false
  let validator: string | undefined
  let expectedTotal: number | undefined
  const progress = new Progress(
    log,
    (done, rate) =>
      `${formatBytes(done)}${expectedTotal !== undefined ? ` of ${formatBytes(expectedTotal)}` : ''} so far (${rate})`
  )

  const restart = async (): Promise<void> => {
    bytes = 0
    hash = createHash('sha256')
    await file.truncate(0)
  }

  for (let attempt = 1; ; attempt++) {
    const headers: Record<string, string> = {}
    const resuming = bytes > 0 && resumable
    if (bytes > 0 && !resumable) await restart()
    if (resuming) {
      headers.range = `bytes=${bytes}-`
      if (validator) headers['if-range'] = validator
    }
    try {
      const opened = await openFollowingRedirects(url, headers, context)
      const { response } = opened
      finalUrl = opened.finalUrl
      const status = response.statusCode ?? 0
      if (status >= 200 && status < 300) {
        if (resuming && status === 206) {
          const range = parseContentRange(response.headers['content-range'])
          if (range?.start !== bytes) {
            response.destroy()
            resumable = false
            throw new Retryable(
              `the server resumed at the wrong offset (${response.headers['content-range'] ?? 'no Content-Range'})`
            )
          }
          expectedTotal ??= range.total
          log.info(`Resuming at ${formatBytes(bytes)}`)
        } else if (status === 206) {
          response.destroy()
          throw fail(`the server answered 206 Partial Content to a request for the whole file.`)
        } else {
          if (resuming) log.info('The server sent the whole file again; restarting from zero.')
          if (bytes > 0) await restart()
          filename = nameFor(response, finalUrl)
          resumable = response.headers['accept-ranges']?.toLowerCase() === 'bytes'
          validator = strongValidator(response)
          const length = Number(response.headers['content-length'])
          expectedTotal = Number.isSafeInteger(length) && length >= 0 ? length : undefined
          if (maxBytes !== undefined && expectedTotal !== undefined && expectedTotal > maxBytes) {
            response.destroy()
            throw fail(`it is ${formatBytes(expectedTotal)}, over the ${formatBytes(maxBytes)} limit for one input.`)
          }
          log.info(
            `Downloading ${secrets.redactUrl(finalUrl)} as ${filename}${expectedTotal !== undefined ? ` (${formatBytes(expectedTotal)})` : ''}`
          )
        }
        // Chunks are queued to the file while the next ones arrive; the
        // stream is always flushed before this attempt ends, so `bytes` (and
        // so a resume offset) names only bytes that are really on disk.
        // On the descriptor, not the FileHandle: a FileHandle's stream closes the handle when it ends.
        const out = createWriteStream('', {
          fd: file.fd,
          start: bytes,
          autoClose: false,
          emitClose: false,
          highWaterMark: WRITE_BUFFER_BYTES
        })
        const flushed = finished(out)
        // A write error (a full disk) may come while no one awaits `flushed`; it is rethrown below.
        flushed.catch(() => {})
        try {
          for await (const chunk of response as AsyncIterable<Buffer>) {
            if (maxBytes !== undefined && bytes + chunk.length > maxBytes) {
              response.destroy()
              throw fail(`it is over the ${formatBytes(maxBytes)} limit for one input.`)
            }
            hash.update(chunk)
            bytes += chunk.length
            progress.add(chunk.length)
            if (!out.write(chunk)) await Promise.race([once(out, 'drain'), flushed])
          }
        } finally {
          out.end()
          await flushed
        }
        if (expectedTotal !== undefined && bytes !== expectedTotal) {
          throw new Retryable(`the connection closed after ${bytes} of ${expectedTotal} bytes`)
        }
        return { filename: filename ?? FALLBACK_NAME, finalUrl, bytes, hash }
      }
      response.resume()
      const reason = `${status} ${response.statusMessage ?? ''}`.trim()
      const where = finalUrl.href === url.href ? '' : ` (at ${secrets.redactUrl(finalUrl)})`
      if (status === 416 && resuming) {
        resumable = false
        throw new Retryable(`the server refused the range (${reason})`)
      }
      if (status >= 500 || status === 408 || status === 429) {
        throw new Retryable(`the server answered ${reason}${where}`, retryAfter(response))
      }
      throw fail(`the server answered ${reason}${where}.`)
    } catch (error) {
      const retry = error instanceof Retryable ? error : asRetryable(error)
      if (!retry) throw error instanceof Error && error.message.startsWith('Input ') ? error : fail(describe(error))
      if (attempt >= MAX_ATTEMPTS) throw fail(`${retry.message}; gave up after ${MAX_ATTEMPTS} attempts.`)
      const delay = Math.min(retry.retryAfterMs ?? BACKOFF_BASE_MS * 2 ** (attempt - 1), BACKOFF_MAX_MS)
      log.info(
        secrets.redact(`Attempt ${attempt} failed: ${retry.message}; retrying in ${(delay / 1000).toFixed(1)} s`)
      )
      await sleep(delay, undefined, { signal: request.signal })
    }
  }
}

interface Opened {
  response: IncomingMessage
  finalUrl: URL
}

/**
 * Redirects are followed here rather than by the HTTP client so that every
 * hop's URL is scrubbed of secrets before it is logged, and so that basic-auth
 * credentials are not sent on to another origin.
 */
async function openFollowingRedirects(start: URL, headers: Record<string, string>, context: Context): Promise<Opened> {
  const { secrets, fail, request } = context
  let url = start
  const auth = start.username || start.password ? basicAuth(start) : undefined
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const sameOrigin = url.origin === start.origin
    const response = await get(
      url,
      { ...headers, ...(auth && sameOrigin ? { authorization: auth } : {}) },
      request.signal
    )
    const status = response.statusCode ?? 0
    const location = response.headers.location
    if (![301, 302, 303, 307, 308].includes(status) || !location) return { response, finalUrl: url }
    response.resume()
    let next: URL
    try {
      next = new URL(location, url)
    } catch {
      throw fail(`the server redirected to an invalid URL.`)
    }
    secrets.take(next)
    if (next.protocol !== 'http:' && next.protocol !== 'https:') {
      throw fail(`the server redirected to ${next.protocol} URL, which is not HTTP.`)
    }
    request.log.debug(`Redirected (${status}) to ${secrets.redactUrl(next)}`)
    url = next
  }
  throw fail(`more than ${MAX_REDIRECTS} redirects.`)
}

function get(url: URL, headers: Record<string, string>, signal?: AbortSignal): Promise<IncomingMessage> {
  // node:http rather than fetch: fetch decompresses Content-Encoding, which
  // would change the file and break byte offsets for a resume.
  const client = url.protocol === 'https:' ? https : http
  const target = new URL(url.href)
  target.username = ''
  target.password = ''
  return new Promise((resolve, reject) => {
    const req = client.request(
      target,
      { method: 'GET', headers: { 'user-agent': 'compute-over-data', ...headers }, signal },
      resolve
    )
    req.setTimeout(IDLE_TIMEOUT_MS, () => req.destroy(new Retryable(`no data for ${IDLE_TIMEOUT_MS / 1000} s`)))
    req.on('error', reject)
    req.end()
  })
}

const RETRYABLE_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ERR_STREAM_PREMATURE_CLOSE',
  'UND_ERR_SOCKET'
])

function asRetryable(error: unknown): Retryable | undefined {
  const code = (error as { code?: string }).code
  if (code && RETRYABLE_CODES.has(code)) return new Retryable(describe(error))
  if (error instanceof Error && error.message === 'aborted') return new Retryable('the connection was reset')
  return undefined
}

function describe(error: unknown): string {
  const { code, message } = error as { code?: string; message?: string }
  if (code === 'ENOTFOUND') return 'the host name does not resolve.'
  if (code === 'ABORT_ERR') return 'cancelled.'
  return `${message ?? String(error)}${code && !message?.includes(code) ? ` (${code})` : ''}`
}

function retryAfter(response: IncomingMessage): number | undefined {
  const value = response.headers['retry-after']
  if (!value) return undefined
  const seconds = Number(value)
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000)
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now())
}

function basicAuth(url: URL): string {
  const user = decodeURIComponent(url.username)
  const password = decodeURIComponent(url.password)
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`
}

/** Only a strong ETag or a Last-Modified date may be sent as If-Range. */
function strongValidator(response: IncomingMessage): string | undefined {
  const etag = response.headers.etag
  if (etag && !etag.startsWith('W/')) return etag
  return response.headers['last-modified']
}

export function parseContentRange(
  header: string | undefined
): { start: number; end: number; total?: number } | undefined {
  const match = /^bytes\s+(\d+)-(\d+)\/(\d+|\*)$/i.exec(header?.trim() ?? '')
  if (!match) return undefined
  return { start: Number(match[1]), end: Number(match[2]), total: match[3] === '*' ? undefined : Number(match[3]) }
}

function nameFor(response: IncomingMessage, finalUrl: URL): string {
  return (
    sanitizeFilename(filenameFromDisposition(response.headers['content-disposition'])) ??
    sanitizeFilename(lastSegment(finalUrl)) ??
    FALLBACK_NAME
  )
}

/** RFC 6266: `filename*` (RFC 5987, percent-encoded with a charset) wins over `filename`. */
export function filenameFromDisposition(header: string | undefined): string | undefined {
  if (!header) return undefined
  const extended = /(?:^|;)\s*filename\*\s*=\s*"?([^;"]*)"?/i.exec(header)
  if (extended) {
    const match = /^([^']*)'[^']*'(.*)$/.exec(extended[1]!.trim())
    if (match) {
      const decoded = decodePercent(match[2]!, match[1]!.toLowerCase() === 'utf-8' ? 'utf8' : 'latin1')
      if (decoded) return decoded
    }
  }
  const plain = /(?:^|;)\s*filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/i.exec(header)
  if (!plain) return undefined
  return plain[1] !== undefined ? plain[1].replace(/\\(.)/g, '$1') : plain[2]!.trim()
}

function decodePercent(text: string, encoding: 'utf8' | 'latin1'): string | undefined {
  try {
    if (encoding === 'utf8') return decodeURIComponent(text)
    return Buffer.from(
      text.replace(/%([0-9a-f]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))),
      'latin1'
    ).toString('latin1')
  } catch {
    return undefined
  }
}

/** Like Go's path.Base, as Bacalhau uses: trailing slashes do not count. */
function lastSegment(url: URL): string | undefined {
  const segment = url.pathname.replace(/\/+$/, '').split('/').pop()
  if (!segment) return undefined
  return decodePercent(segment, 'utf8') ?? segment
}

/** A server-chosen name must stay one plain file inside the staging folder. */
export function sanitizeFilename(name: string | undefined): string | undefined {
  if (!name) return undefined
  const base = name.split(/[/\\]/).pop()!
  // eslint-disable-next-line no-control-regex
  const clean = base.replace(/[\u0000-\u001f\u007f]/g, '').trim()
  if (!clean || clean === '.' || clean === '..' || clean.startsWith('.partial-')) return undefined
  return Buffer.byteLength(clean) > 255
    ? Buffer.from(clean)
        .subarray(0, 255)
        .toString('utf8')
        .replace(/\uFFFD+$/, '')
    : clean
}

export { isSecretParam }

/**
 * Collects the secrets found in URLs, masks them in the step log before any
 * line could contain them, and scrubs them from our own messages.
 */
export class Secrets {
  private readonly values = new Set<string>()

  constructor(private readonly log: Log) {}

  take(url: URL): URL {
    const found = [url.username, url.password]
    for (const [name, value] of queryPairs(url)) if (isSecretParam(name)) found.push(value)
    for (const raw of found) {
      if (!raw) continue
      for (const form of new Set([
        raw,
        decodePercent(raw, 'utf8') ?? raw,
        decodePercent(raw.replace(/\+/g, ' '), 'utf8') ?? raw
      ])) {
        if (form.length < 3 || this.values.has(form)) continue
        this.values.add(form)
        this.log.mask(form)
      }
    }
    return url
  }

  /** The URL with user info and secret parameter values replaced by `***`. */
  redactUrl(url: URL): string {
    const copy = new URL(url.href)
    if (copy.username) copy.username = '***'
    if (copy.password) copy.password = '***'
    const query = url.search.slice(1)
    copy.search = query
      ? query
          .split('&')
          .map((pair) => {
            const eq = pair.indexOf('=')
            const name = eq < 0 ? pair : pair.slice(0, eq)
            return eq >= 0 && isSecretParam(decodePercent(name, 'utf8') ?? name) ? `${name}=***` : pair
          })
          .join('&')
      : ''
    return this.redact(copy.href)
  }

  /** Longest first, so a secret that contains another is replaced whole. */
  redact(text: string): string {
    let out = text
    for (const secret of [...this.values].sort((a, b) => b.length - a.length)) out = out.split(secret).join('***')
    return out
  }
}

function queryPairs(url: URL): Array<[string, string]> {
  const query = url.search.slice(1)
  if (!query) return []
  return query.split('&').map((pair) => {
    const eq = pair.indexOf('=')
    const name = eq < 0 ? pair : pair.slice(0, eq)
    return [decodePercent(name, 'utf8') ?? name, eq < 0 ? '' : pair.slice(eq + 1)]
  })
}
