import { spawn, type ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {
  BlobSASPermissions,
  BlobServiceClient,
  generateBlobSASQueryParameters,
  SASProtocol,
  StorageSharedKeyCredential
} from '@azure/storage-blob'
import type { RunningServer } from './types.js'

/**
 * The results service behind `@actions/artifact` is GitHub's own, so it is
 * the one test double here: a Twirp/JSON server on node:http that answers the
 * five ArtifactService calls. The bytes go where the real service sends them,
 * into Azure block blob storage, and that part is real (Azurite), so the
 * client's block upload, SAS handling and hashing are exercised for real.
 *
 * Artifacts are scoped by the workflow run backend id in the runtime token,
 * as on GitHub: each test mints its own token (runtimeToken()) and so never
 * sees another test's artifacts, even when test files run in parallel.
 */

// The documented development account every Azurite accepts.
const ACCOUNT = 'devstoreaccount1'
const ACCOUNT_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='
const CONTAINER = 'actions-results'
const TWIRP_PREFIX = '/twirp/github.actions.results.api.v1.ArtifactService/'

/** A JWT-shaped token: the client decodes it without checking the signature. */
export function runtimeToken(runBackendId: string = randomUUID(), jobBackendId: string = randomUUID()): string {
  const part = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url')
  const scp = `Actions.GenericRead:${randomUUID()} Actions.Results:${runBackendId}:${jobBackendId}`
  return `${part({ alg: 'RS256', typ: 'JWT' })}.${part({ scp, exp: Math.floor(Date.now() / 1000) + 3600 })}.c2ln`
}

/** The ids a token carries, as the double checks them against each request. */
export function backendIds(token: string): { run: string; job: string } | undefined {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as { scp?: unknown }
    const match = typeof payload.scp === 'string' ? /Actions\.Results:([^:\s]+):([^:\s]+)/.exec(payload.scp) : null
    return match ? { run: match[1]!, job: match[2]! } : undefined
  } catch {
    return undefined
  }
}

/** One finalized artifact, as GET /_test/artifacts reports it. */
export interface RecordedArtifact {
  id: number
  name: string
  runBackendId: string
  jobBackendId: string
  /** The size FinalizeArtifact reported. */
  size: number
  /** The hash FinalizeArtifact reported, `sha256:<hex>`. */
  hash?: string
  /** The blob's real size in Azurite. */
  blobSize: number
  /** A read-only SAS URL of the blob in Azurite. */
  blobUrl: string
  mimeType?: string
  version?: number
  expiresAt?: string
  createdAt: string
}

/** One Twirp call the double received, as GET /_test/requests reports it. */
export interface RecordedRequest {
  method: string
  status: number
  body: Record<string, unknown>
}

interface Pending {
  name: string
  runBackendId: string
  jobBackendId: string
  blobName: string
  mimeType?: string
  version?: number
  expiresAt?: string
}

class TwirpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string
  ) {
    super(message)
  }
}

export async function startArtifactService(): Promise<RunningServer> {
  const location = await mkdtemp(path.join(os.tmpdir(), 'cod-azurite-'))
  let azurite: { child: ChildProcess; url: string } | undefined
  let server: http.Server | undefined
  try {
    azurite = await startAzurite(location)
    const accountUrl = `${azurite.url}/${ACCOUNT}`
    const credential = new StorageSharedKeyCredential(ACCOUNT, ACCOUNT_KEY)
    const container = new BlobServiceClient(accountUrl, credential).getContainerClient(CONTAINER)
    await container.create()
    server = await startTwirp(accountUrl, credential)
    const port = (server.address() as AddressInfo).port
    const noProxy = [process.env.NO_PROXY, '127.0.0.1', 'localhost'].filter(Boolean).join(',')
    const started = { child: azurite.child, server }
    return {
      env: {
        // Deliberately not ACTIONS_RESULTS_URL: only a test that means to
        // upload sets that, so no other test can upload by accident.
        COD_RESULTS_URL: `http://127.0.0.1:${port}/`,
        COD_RUNTIME_TOKEN: runtimeToken(),
        COD_AZURITE_URL: accountUrl,
        NO_PROXY: noProxy,
        no_proxy: noProxy
      },
      stop: async () => {
        const closed = new Promise<void>((resolve) => started.server.close(() => resolve()))
        // The client keeps connections alive; close() alone would wait for them.
        started.server.closeAllConnections()
        await closed
        await stopChild(started.child)
        await rm(location, { recursive: true, force: true })
      }
    }
  } catch (error) {
    server?.close()
    if (azurite) await stopChild(azurite.child)
    await rm(location, { recursive: true, force: true })
    throw error
  }
}

async function startAzurite(location: string): Promise<{ child: ChildProcess; url: string }> {
  const main = path.resolve('node_modules/azurite/dist/src/blob/main.js')
  // Port 0 lets the kernel choose, and Azurite prints the port it got, so
  // there is no window in which another process can take a port we picked.
  // The API version check is skipped because @azure/storage-blob (used by
  // @actions/artifact) speaks a newer x-ms-version than this Azurite knows.
  const args = [
    main,
    '--blobHost',
    '127.0.0.1',
    '--blobPort',
    '0',
    '--location',
    location,
    '--silent',
    '--skipApiVersionCheck',
    '--disableTelemetry'
  ]
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  return await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`Azurite did not start within 30 s; it printed: ${output.trim() || '(nothing)'}`))
    }, 30_000)
    const onData = (chunk: Buffer): void => {
      output += chunk.toString()
      const match = /successfully listens on (http:\/\/\S+)/.exec(output)
      if (match) {
        clearTimeout(timer)
        // Keep draining its output so that a full pipe never blocks it.
        child.stdout?.removeListener('data', onData)
        child.stdout?.resume()
        resolve({ child, url: match[1]!.replace(/\/$/, '') })
      }
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString()
    })
    child.on('error', (error) => {
      clearTimeout(timer)
      reject(new Error(`Azurite could not be run: ${error.message}`))
    })
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      reject(new Error(`Azurite exited (${signal ?? code}) before listening: ${output.trim() || '(no output)'}`))
    })
  })
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
  await exited
  clearTimeout(timer)
}

async function startTwirp(accountUrl: string, credential: StorageSharedKeyCredential): Promise<http.Server> {
  const container = new BlobServiceClient(accountUrl, credential).getContainerClient(CONTAINER)
  const pending = new Map<string, Pending>()
  const artifacts: RecordedArtifact[] = []
  const blobNames = new Map<number, string>()
  const requests = new Map<string, RecordedRequest[]>()
  // Injected failures by run ('*' for any): a method (or '*') answered with
  // `status` the next `count` times, so the client's retries can be tested.
  const failures = new Map<string, Array<{ method: string; status: number; count: number }>>()
  let nextId = 1000

  const sasUrl = (blobName: string, permissions: string, hours: number): string => {
    const query = generateBlobSASQueryParameters(
      {
        containerName: CONTAINER,
        blobName,
        permissions: BlobSASPermissions.parse(permissions),
        startsOn: new Date(Date.now() - 60_000),
        expiresOn: new Date(Date.now() + hours * 3_600_000),
        protocol: SASProtocol.HttpsAndHttp
      },
      credential
    ).toString()
    return `${container.getBlobClient(blobName).url}?${query}`
  }
  const key = (run: string, name: string): string => `${run}\u0000${name}`
  const live = (run: string): RecordedArtifact[] => artifacts.filter((a) => a.runBackendId === run)
  const monolith = (a: RecordedArtifact): Record<string, unknown> => ({
    workflow_run_backend_id: a.runBackendId,
    workflow_job_run_backend_id: a.jobBackendId,
    database_id: String(a.id),
    name: a.name,
    size: String(a.size),
    created_at: a.createdAt,
    ...(a.hash ? { digest: a.hash } : {})
  })

  const methods: Record<
    string,
    (body: Record<string, unknown>, run: string, job: string) => Promise<Record<string, unknown>>
  > = {
    CreateArtifact: async (body, run, job) => {
      const name = requireString(body, 'name')
      if (live(run).some((a) => a.name === name)) {
        throw new TwirpError(409, 'already_exists', `an artifact with this name already exists on the workflow run`)
      }
      const blobName = `${run}/${job}/${randomUUID()}/${name}.zip`
      pending.set(key(run, name), {
        name,
        runBackendId: run,
        jobBackendId: job,
        blobName,
        mimeType: typeof body.mime_type === 'string' ? body.mime_type : undefined,
        version: typeof body.version === 'number' ? body.version : undefined,
        expiresAt: typeof body.expires_at === 'string' ? body.expires_at : undefined
      })
      return { ok: true, signed_upload_url: sasUrl(blobName, 'cw', 1) }
    },
    FinalizeArtifact: async (body, run) => {
      const name = requireString(body, 'name')
      const upload = pending.get(key(run, name))
      if (!upload) throw new TwirpError(404, 'not_found', `no artifact named ${name} is being uploaded`)
      const size = Number(requireString(body, 'size'))
      let blobSize: number
      try {
        blobSize = (await container.getBlobClient(upload.blobName).getProperties()).contentLength ?? 0
      } catch {
        throw new TwirpError(400, 'failed_precondition', `the blob for ${name} was never uploaded`)
      }
      if (blobSize !== size) {
        throw new TwirpError(
          400,
          'invalid_argument',
          `size ${size} does not match the uploaded blob (${blobSize} bytes)`
        )
      }
      pending.delete(key(run, name))
      const artifact: RecordedArtifact = {
        id: nextId++,
        name,
        runBackendId: run,
        jobBackendId: upload.jobBackendId,
        size,
        hash: typeof body.hash === 'string' ? body.hash : undefined,
        blobSize,
        blobUrl: sasUrl(upload.blobName, 'r', 24),
        mimeType: upload.mimeType,
        version: upload.version,
        expiresAt: upload.expiresAt,
        createdAt: new Date().toISOString()
      }
      artifacts.push(artifact)
      blobNames.set(artifact.id, upload.blobName)
      return { ok: true, artifact_id: String(artifact.id) }
    },
    ListArtifacts: async (body, run) => {
      const nameFilter = typeof body.name_filter === 'string' ? body.name_filter : undefined
      const idFilter = typeof body.id_filter === 'string' ? Number(body.id_filter) : undefined
      const found = live(run).filter(
        (a) => (nameFilter === undefined || a.name === nameFilter) && (idFilter === undefined || a.id === idFilter)
      )
      return { artifacts: found.map(monolith) }
    },
    DeleteArtifact: async (body, run) => {
      const name = requireString(body, 'name')
      const index = artifacts.findIndex((a) => a.runBackendId === run && a.name === name)
      if (index < 0) throw new TwirpError(404, 'not_found', `no artifact named ${name}`)
      const [artifact] = artifacts.splice(index, 1) as [RecordedArtifact]
      await container.getBlobClient(blobNames.get(artifact.id)!).deleteIfExists()
      return { ok: true, artifact_id: String(artifact.id) }
    },
    GetSignedArtifactURL: async (body, run) => {
      const name = requireString(body, 'name')
      const artifact = live(run).find((a) => a.name === name)
      if (!artifact) throw new TwirpError(404, 'not_found', `no artifact named ${name}`)
      return { signed_url: artifact.blobUrl }
    }
  }

  // Without ?run= the admin routes cover every run, for a test that cannot
  // know the backend ids (one that uses COD_RUNTIME_TOKEN, say).
  const admin = async (request: http.IncomingMessage, url: URL): Promise<unknown> => {
    const run = url.searchParams.get('run') ?? '*'
    if (request.method === 'GET' && url.pathname === '/_test/artifacts') {
      return run === '*' ? artifacts : live(run)
    }
    if (request.method === 'GET' && url.pathname === '/_test/requests') {
      return run === '*' ? [...requests.values()].flat() : (requests.get(run) ?? [])
    }
    if (request.method === 'POST' && url.pathname === '/_test/fail') {
      const rule = {
        method: url.searchParams.get('method') ?? '*',
        status: Number(url.searchParams.get('status') ?? '500'),
        count: Number(url.searchParams.get('count') ?? '1')
      }
      failures.set(run, [...(failures.get(run) ?? []), rule])
      return rule
    }
    throw new TwirpError(404, 'not_found', `no admin route ${request.method} ${url.pathname}`)
  }

  const handle = async (request: http.IncomingMessage, response: http.ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://localhost')
    const raw = await readBody(request)
    const send = (status: number, body: unknown): void => {
      response.writeHead(status, { 'Content-Type': 'application/json' })
      response.end(JSON.stringify(body))
    }
    if (url.pathname.startsWith('/_test/')) {
      try {
        send(200, await admin(request, url))
      } catch (error) {
        send(error instanceof TwirpError ? error.status : 500, { msg: (error as Error).message })
      }
      return
    }
    const method = url.pathname.startsWith(TWIRP_PREFIX) ? url.pathname.slice(TWIRP_PREFIX.length) : ''
    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1]
    const ids = token ? backendIds(token) : undefined
    let body: Record<string, unknown> = {}
    let status = 200
    try {
      if (request.method !== 'POST' || !methods[method])
        throw new TwirpError(404, 'bad_route', `no handler for ${request.method} ${url.pathname}`)
      if (!(request.headers['content-type'] ?? '').startsWith('application/json')) {
        throw new TwirpError(400, 'malformed', 'only the JSON encoding is served')
      }
      try {
        body = JSON.parse(raw) as Record<string, unknown>
      } catch {
        throw new TwirpError(400, 'malformed', 'the body is not JSON')
      }
      if (!ids) throw new TwirpError(401, 'unauthenticated', 'no runtime token with an Actions.Results scope')
      if (body.workflow_run_backend_id !== ids.run || body.workflow_job_run_backend_id !== ids.job) {
        throw new TwirpError(403, 'permission_denied', 'the backend ids do not match the runtime token')
      }
      const rule = [...(failures.get(ids.run) ?? []), ...(failures.get('*') ?? [])].find(
        (r) => r.count > 0 && (r.method === '*' || r.method === method)
      )
      if (rule) {
        rule.count--
        throw new TwirpError(rule.status, 'internal', 'injected failure')
      }
      send(200, await methods[method]!(body, ids.run, ids.job))
    } catch (error) {
      status = error instanceof TwirpError ? error.status : 500
      send(status, { code: error instanceof TwirpError ? error.code : 'internal', msg: (error as Error).message })
    }
    if (ids) requests.set(ids.run, [...(requests.get(ids.run) ?? []), { method, status, body }])
  }

  const server = http.createServer((request, response) => {
    handle(request, response).catch((error: Error) => {
      if (!response.headersSent) response.writeHead(500, { 'Content-Type': 'application/json' })
      response.end(JSON.stringify({ code: 'internal', msg: error.message }))
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  return server
}

function requireString(body: Record<string, unknown>, field: string): string {
  const value = body[field]
  if (typeof value !== 'string' || value === '') throw new TwirpError(400, 'invalid_argument', `${field} is required`)
  return value
}

async function readBody(request: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString()
}
