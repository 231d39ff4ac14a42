import { createHash } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import { Transform, type Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
  type HeadObjectCommandOutput
} from '@aws-sdk/client-s3'
import type { InputSource } from '../spec/job-spec.js'
import { formatBytes } from '../format.js'
import { Progress } from './progress.js'
import type { StageRequest, StagedSource, Stager } from './types.js'

type S3Source = Extract<InputSource, { scheme: 's3' }>
type S3Request = StageRequest<S3Source>

/** Enough to fill a runner's link with small objects without opening hundreds of sockets. */
const CONCURRENCY = 16
const DEFAULT_REGION = 'us-east-1'
/** How much of an object may wait for the disk while the next chunks are read. */
const WRITE_BUFFER_BYTES = 4 * 2 ** 20

/** A problem already worded for the user; explain() only prefixes the input. */
class Problem extends Error {}

export interface S3Object {
  key: string
  /** As listed, with its quotes: sent back as If-Match. */
  etag: string
  size: number
  versionId?: string
  /** Path under the staging folder, `/`-separated. */
  localPath: string
}

/** What listS3 found, to be fetched by downloadS3. */
export interface S3Listing {
  /** True for a single object: the staged path is then the file itself. */
  single: boolean
  objects: S3Object[]
}

/**
 * Bacalhau's S3 source: one object, or every object under a prefix. Split in
 * two so that what is downloaded is exactly what was listed: each GET carries
 * the listed ETag as If-Match, and a change in between is an error.
 */
export const stageS3: Stager<S3Source> = async (request) => downloadS3(request, await listS3(request))

export async function listS3(request: S3Request): Promise<S3Listing> {
  const { source, log } = request
  const client = clientFor(request)
  try {
    log.info(`Listing ${labelOf(source)} ${whereOf(request)}`)
    const listing = source.isPrefix ? await listPrefix(client, request) : await headObject(client, request)
    const total = listing.objects.reduce((sum, object) => sum + object.size, 0)
    const max = request.settings.maxInputBytes
    if (max !== undefined && total > max) {
      throw new Problem(
        `${formatBytes(total)} in ${listing.objects.length} objects, over the ${formatBytes(max)} limit for one input.`
      )
    }
    log.info(`${listing.objects.length} object${listing.objects.length === 1 ? '' : 's'}, ${formatBytes(total)}`)
    return listing
  } catch (error) {
    throw explain(error, request)
  } finally {
    client.destroy()
  }
}

export async function downloadS3(request: S3Request, listing: S3Listing): Promise<StagedSource> {
  const { source, stagingDir, log } = request
  // Checked again here because a listing may come from elsewhere than listS3.
  for (const object of listing.objects) safeLocalPath(stagingDir, object, source)
  const client = clientFor(request)
  const total = listing.objects.reduce((sum, object) => sum + object.size, 0)
  let done = 0
  const progress = new Progress(
    log,
    (bytes, rate) =>
      `${done}/${listing.objects.length} objects, ${formatBytes(bytes)} of ${formatBytes(total)} so far (${rate})`
  )
  // The first failure cancels the GETs still running, so the error is
  // reported at once and no partial files keep growing.
  const abort = new AbortController()
  const signal = request.signal ? AbortSignal.any([request.signal, abort.signal]) : abort.signal
  const queue = [...listing.objects]
  let firstError: unknown
  const worker = async (): Promise<void> => {
    for (let object = queue.shift(); object && !signal.aborted; object = queue.shift()) {
      try {
        await downloadObject(client, request, object, listing.single, progress, signal)
      } catch (error) {
        // Only the first failure is the cause; the others are its cancellations.
        if (firstError === undefined) firstError = Object.assign(error ?? {}, { objectKey: object.key })
        abort.abort()
        return
      }
      done++
    }
  }
  try {
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, listing.objects.length) }, worker))
    if (firstError !== undefined) throw firstError
    if (request.signal?.aborted) throw request.signal.reason
  } catch (error) {
    // The folder is this input's alone: nothing half-staged is left in it.
    await emptyFolder(stagingDir)
    throw explain(error, request)
  } finally {
    client.destroy()
  }
  const only = listing.objects[0]
  return {
    hostPath: listing.single && only ? path.join(stagingDir, only.localPath) : stagingDir,
    bytes: total,
    identity: {
      scheme: 's3',
      bucket: source.bucket,
      key: source.key,
      objects: listing.objects.map(({ key, etag, versionId, size }) => ({
        key,
        etag,
        ...(versionId ? { versionId } : {}),
        size
      }))
    }
  }
}

/** Error messages name the input as the user wrote it, trailing `*` included. */
function labelOf(source: S3Source): string {
  const star = source.isPrefix && source.key !== '' && !source.key.endsWith('/') ? '*' : ''
  return `s3://${source.bucket}/${source.key}${star}`
}

function endpointOf(request: S3Request): string | undefined {
  return request.source.endpoint ?? request.settings.s3Endpoint
}

function regionOf(request: S3Request): string {
  return (
    request.source.region ??
    request.settings.s3Region ??
    process.env.AWS_REGION ??
    process.env.AWS_DEFAULT_REGION ??
    DEFAULT_REGION
  )
}

function whereOf(request: S3Request): string {
  const endpoint = endpointOf(request)
  return endpoint ? `at ${endpoint}` : `in ${regionOf(request)}`
}

/**
 * Credentials come from the SDK's default chain (environment, profile, web
 * identity, instance role), as in Bacalhau; they never pass through here.
 */
function clientFor(request: S3Request): S3Client {
  const endpoint = endpointOf(request)
  return new S3Client({
    region: regionOf(request),
    // S3-compatible servers rarely serve virtual-hosted bucket names.
    ...(endpoint ? { endpoint, forcePathStyle: true } : {})
  })
}

async function headObject(client: S3Client, request: S3Request): Promise<S3Listing> {
  const { source, stagingDir } = request
  let head: HeadObjectCommandOutput
  try {
    head = await client.send(
      new HeadObjectCommand({
        Bucket: source.bucket,
        Key: source.key,
        VersionId: source.versionId,
        ...(source.checksumSha256 ? { ChecksumMode: 'ENABLED' } : {})
      }),
      { abortSignal: request.signal }
    )
  } catch (error) {
    throw await detailOfHeadError(client, request, error)
  }
  // Bacalhau's rule: a "folder object" stands for the keys under it.
  if (head.ContentType === 'application/x-directory') {
    return listPrefix(client, { ...request, source: { ...source, key: `${source.key}/`, isPrefix: true } })
  }
  // The SDK gives the full-object SHA-256 in base64 when the server stored one;
  // a mismatch is reported before anything is downloaded.
  const stored =
    head.ChecksumSHA256 && !head.ChecksumSHA256.includes('-')
      ? Buffer.from(head.ChecksumSHA256, 'base64').toString('hex')
      : undefined
  if (source.checksumSha256 && stored && stored !== source.checksumSha256) {
    throw new Problem(`checksum mismatch: expected SHA-256 ${source.checksumSha256}, the server has ${stored}.`)
  }
  const object: S3Object = {
    key: source.key,
    etag: head.ETag ?? '',
    size: head.ContentLength ?? 0,
    ...(head.VersionId && head.VersionId !== 'null' ? { versionId: head.VersionId } : {}),
    localPath: path.posix.basename(source.key)
  }
  safeLocalPath(stagingDir, object, source)
  return { single: true, objects: [object] }
}

/**
 * A HEAD error has no body, so S3 cannot say which of bucket, key or
 * signature was wrong; one ranged GET of the same object gets the coded error.
 */
async function detailOfHeadError(client: S3Client, request: S3Request, error: unknown): Promise<unknown> {
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode
  if (status !== 400 && status !== 403 && status !== 404) return error
  try {
    const probe = await client.send(
      new GetObjectCommand({
        Bucket: request.source.bucket,
        Key: request.source.key,
        VersionId: request.source.versionId,
        Range: 'bytes=0-0'
      }),
      { abortSignal: request.signal }
    )
    ;(probe.Body as Readable | undefined)?.destroy()
  } catch (detailed) {
    return detailed
  }
  return error
}

async function listPrefix(client: S3Client, request: S3Request): Promise<S3Listing> {
  const { source, stagingDir, log } = request
  const filter = source.filter !== undefined ? new RegExp(source.filter) : undefined
  const objects: S3Object[] = []
  let skippedByFilter = 0
  let token: string | undefined
  do {
    const page = await client.send(
      new ListObjectsV2Command({ Bucket: source.bucket, Prefix: source.key, ContinuationToken: token }),
      { abortSignal: request.signal }
    )
    for (const item of page.Contents ?? []) {
      const key = item.Key
      if (key === undefined) continue
      if (key.endsWith('/')) {
        if ((item.Size ?? 0) > 0) log.warning(`Skipping ${key}: a key ending in / cannot be a file.`)
        continue
      }
      if (filter && !filter.test(key.slice(source.key.length))) {
        skippedByFilter++
        continue
      }
      const object: S3Object = {
        key,
        etag: item.ETag ?? '',
        size: item.Size ?? 0,
        localPath: localPathOf(key, source.key)
      }
      safeLocalPath(stagingDir, object, source)
      objects.push(object)
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined
  } while (token)
  if (objects.length === 0) {
    throw new Problem(
      skippedByFilter > 0
        ? `none of the ${skippedByFilter} objects under the prefix matches the filter ${source.filter}.`
        : `no objects under this prefix in bucket "${source.bucket}".`
    )
  }
  checkCollisions(objects)
  return { single: false, objects }
}

/**
 * Keys land relative to the prefix's directory part, as in Bacalhau: for
 * `data/` that is `data/` itself (`data/x/y.csv` → `x/y.csv`); for `da*` it is
 * the bucket root (`data/x.csv` → `data/x.csv`), since cutting `da` out of the
 * middle of a name would invent names that exist nowhere.
 */
export function localPathOf(key: string, prefix: string): string {
  const base = prefix.slice(0, prefix.lastIndexOf('/') + 1)
  return key.slice(base.length)
}

/** A key is just a string: `..` segments must not walk out of the staging folder. */
function safeLocalPath(stagingDir: string, object: S3Object, source: S3Source): string {
  const segments = object.localPath.split('/')
  const full = path.resolve(stagingDir, ...segments)
  const relative = path.relative(stagingDir, full)
  if (segments.includes('..') || !relative || relative.startsWith('..') || path.isAbsolute(relative)) {
    throw new Error(
      `Input '${labelOf(source)}': the key "${object.key}" would be written outside the input folder; such keys are refused.`
    )
  }
  return full
}

/** Two keys such as `a//b` and `a/b`, or `a` and `a/b`, cannot both be files. */
function checkCollisions(objects: S3Object[]): void {
  const files = new Map<string, string>()
  for (const object of objects) {
    const normal = path.posix.normalize(object.localPath).replace(/^\/+/, '')
    const other = files.get(normal)
    if (other !== undefined) throw new Problem(`the keys "${other}" and "${object.key}" would be the same file.`)
    files.set(normal, object.key)
  }
  for (const [normal, key] of files) {
    for (let dir = path.posix.dirname(normal); dir !== '.' && dir !== '/'; dir = path.posix.dirname(dir)) {
      const other = files.get(dir)
      if (other !== undefined) throw new Problem(`the key "${other}" is a file but "${key}" needs it to be a folder.`)
    }
  }
}

async function downloadObject(
  client: S3Client,
  request: S3Request,
  object: S3Object,
  single: boolean,
  progress: Progress,
  signal: AbortSignal
): Promise<void> {
  const { source, stagingDir } = request
  const file = safeLocalPath(stagingDir, object, source)
  await fs.mkdir(path.dirname(file), { recursive: true })
  const response = await client.send(
    new GetObjectCommand({
      Bucket: source.bucket,
      Key: object.key,
      VersionId: object.versionId,
      ...(object.etag ? { IfMatch: object.etag } : {})
    }),
    { abortSignal: signal }
  )
  const body = response.Body as Readable | undefined
  if (!body) throw new Problem(`the server sent no body for "${object.key}".`)
  const hash = single && source.checksumSha256 ? createHash('sha256') : undefined
  let bytes = 0
  const count = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length
      hash?.update(chunk)
      progress.add(chunk.length)
      callback(null, chunk)
    }
  })
  // A deep write queue: with the default 16 KiB every chunk waited for its write before the next was read.
  await pipeline(body, count, createWriteStream(file, { highWaterMark: WRITE_BUFFER_BYTES }), { signal })
  if (bytes !== object.size) {
    throw new Problem(
      `"${object.key}" was ${bytes} bytes, not the ${object.size} listed; it changed while being staged. Run again.`
    )
  }
  const sha256 = hash?.digest('hex')
  if (sha256 && sha256 !== source.checksumSha256) {
    await fs.rm(file, { force: true })
    throw new Problem(
      `checksum mismatch: expected SHA-256 ${source.checksumSha256}, got ${sha256}; the download was deleted.`
    )
  }
}

async function emptyFolder(folder: string): Promise<void> {
  for (const entry of await fs.readdir(folder).catch(() => [] as string[])) {
    await fs.rm(path.join(folder, entry), { recursive: true, force: true })
  }
}

interface SdkError {
  name?: string
  Code?: string
  code?: string
  message?: string
  $metadata?: { httpStatusCode?: number }
  /** Set by downloadS3: the object whose GET failed. */
  objectKey?: string
}

/** Turns an SDK error into one line naming the input; credentials never appear. */
function explain(error: unknown, request: S3Request): Error {
  const label = labelOf(request.source)
  const e = (error ?? {}) as SdkError
  const message = e.message ?? String(error)
  if (message.startsWith('Input ')) return error as Error
  if (error instanceof Problem) return new Error(`Input '${label}': ${message}`)
  const code = e.Code ?? e.name ?? ''
  const status = e.$metadata?.httpStatusCode
  const { bucket, versionId } = request.source
  const key = e.objectKey ?? request.source.key
  const endpoint = endpointOf(request)
  const problem = ((): string => {
    switch (code) {
      case 'NoSuchBucket':
        return `the bucket "${bucket}" does not exist ${whereOf(request)}.`
      case 'NoSuchKey':
      case 'NotFound':
        return `no object "${key}" in bucket "${bucket}".`
      case 'NoSuchVersion':
        return `object "${key}" has no version "${versionId}".`
      case 'SignatureDoesNotMatch':
      case 'InvalidAccessKeyId':
      case 'InvalidClientTokenId':
      case 'InvalidToken':
      case 'ExpiredToken':
        return `the S3 server refused the credentials (${code}); check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or the role the runner uses).`
      case 'AccessDenied':
        return `access denied (403) by the S3 server; the credentials in use may not read this bucket.`
      case 'PreconditionFailed':
        return `the object "${key}" changed while the input was being staged (its ETag no longer matches the listing); run again.`
      case 'CredentialsProviderError':
        return `no AWS credentials found; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or configure a role.`
      case 'AbortError':
        return 'cancelled.'
    }
    // Inside some sandboxes (Jest's vm) the SDK wraps a socket error, so the
    // code may only survive in the message.
    const network = /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|TimeoutError)$/
    const errno = [
      e.code,
      (e as { cause?: { code?: string } }).cause?.code,
      ...(message.match(/\b[A-Z_]{5,}\b/g) ?? [])
    ].find((candidate) => candidate !== undefined && network.test(candidate))
    if (errno) {
      return `cannot reach the S3 endpoint ${endpoint ?? `for region ${regionOf(request)}`} (${errno}).`
    }
    if (status === 301 || code === 'PermanentRedirect' || code === 'AuthorizationHeaderMalformed') {
      return `the bucket "${bucket}" is in another region (${code || status}); set opt=region=... or s3-region.`
    }
    return `${code || 'S3 error'}${status ? ` (HTTP ${status})` : ''}: ${message}`
  })()
  return new Error(`Input '${label}': ${problem}`)
}
