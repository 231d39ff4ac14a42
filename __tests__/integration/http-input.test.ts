import { createHash, randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { stageHttp } from '../../src/storage/http.js'
import type { SourceSettings } from '../../src/storage/types.js'
import { collectingLog } from '../helpers/log.js'

// A real node:http server on a loopback port; each route plays one kind of
// server the action meets: redirects, chunked bodies, dropped connections.
const BODY = randomBytes(256 * 1024)
const SHA = createHash('sha256').update(BODY).digest('hex')
const SECRETS = {
  user: 'alice-user',
  password: 'pa55-w0rd-secret',
  signature: 'sig0123456789abcdef',
  token: 'tok-zyxwvu-987'
}

interface Seen {
  url: string
  range?: string
  ifRange?: string
  authorization?: string
}
let seen: Seen[] = []
let counters = new Map<string, number>()
let server: http.Server
let base: string

function count(name: string): number {
  const n = (counters.get(name) ?? 0) + 1
  counters.set(name, n)
  return n
}

/** Serves BODY, honouring `Range: bytes=N-` when `ranges` is on. */
function sendBody(req: http.IncomingMessage, res: http.ServerResponse, ranges: boolean): void {
  const match = /^bytes=(\d+)-$/.exec(req.headers.range ?? '')
  if (ranges && match) {
    const start = Number(match[1])
    res.writeHead(206, {
      'content-length': BODY.length - start,
      'content-range': `bytes ${start}-${BODY.length - 1}/${BODY.length}`,
      'accept-ranges': 'bytes',
      etag: '"v1"'
    })
    res.end(BODY.subarray(start))
    return
  }
  res.writeHead(200, { 'content-length': BODY.length, ...(ranges ? { 'accept-ranges': 'bytes', etag: '"v1"' } : {}) })
  res.end(BODY)
}

/** Sends headers for the whole body, half of it, then drops the connection. */
function sendHalfThenReset(res: http.ServerResponse, ranges: boolean): void {
  res.writeHead(200, { 'content-length': BODY.length, ...(ranges ? { 'accept-ranges': 'bytes', etag: '"v1"' } : {}) })
  res.write(BODY.subarray(0, BODY.length / 2), () => setTimeout(() => res.socket?.destroy(), 50))
}

const routes: Record<string, (req: http.IncomingMessage, res: http.ServerResponse) => void> = {
  '/redirect': (_req, res) => {
    res.writeHead(302, { location: '/hop2?x=1' })
    res.end()
  },
  '/hop2': (_req, res) => {
    res.writeHead(301, { location: `${base}/files/blob-7f3a?x=2` })
    res.end()
  },
  '/files/blob-7f3a': (_req, res) => {
    res.writeHead(200, { 'content-disposition': 'attachment; filename="measurements.csv"', 'content-length': 9 })
    res.end('a,b\n1,2\n\n')
  },
  '/to-report': (_req, res) => {
    res.writeHead(307, { location: '/reports/2024/summary%20final.txt' })
    res.end()
  },
  '/reports/2024/summary final.txt': (_req, res) => res.end('summary'),
  '/evil-name': (_req, res) => {
    res.writeHead(200, { 'content-disposition': 'attachment; filename="../../etc/passwd"' })
    res.end('x')
  },
  '/chunked.bin': (_req, res) => {
    // No Content-Length: the body is sent in chunks until end().
    res.writeHead(200, { 'content-type': 'application/octet-stream' })
    let offset = 0
    const next = (): void => {
      if (offset >= BODY.length) return void res.end()
      res.write(BODY.subarray(offset, offset + 10_000))
      offset += 10_000
      setImmediate(next)
    }
    next()
  },
  '/resumable.bin': (req, res) => {
    if (count('resumable') === 1) return sendHalfThenReset(res, true)
    sendBody(req, res, true)
  },
  '/ignores-range.bin': (req, res) => {
    if (count('ignores-range') === 1) return sendHalfThenReset(res, true)
    // Offered ranges, then answers a Range request with the whole file.
    res.writeHead(200, { 'content-length': BODY.length, 'accept-ranges': 'bytes', etag: '"v1"' })
    res.end(BODY)
  },
  '/flaky.bin': (req, res) => {
    if (count('flaky') === 1) {
      res.writeHead(500)
      return void res.end('boom')
    }
    sendBody(req, res, false)
  },
  '/always-503': (_req, res) => {
    count('always-503')
    res.writeHead(503)
    res.end()
  },
  '/listing/': (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' })
    res.end('<html><body><a href="a.csv">a.csv</a><a href="b.csv">b.csv</a></body></html>')
  },
  '/private/data.bin': (req, res) => {
    const expected = `Basic ${Buffer.from(`${SECRETS.user}:${SECRETS.password}`).toString('base64')}`
    if (req.headers.authorization !== expected) {
      res.writeHead(401)
      return void res.end()
    }
    sendBody(req, res, false)
  }
}

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const url = new URL(req.url!, 'http://x')
    seen.push({
      url: req.url!,
      range: req.headers.range,
      ifRange: req.headers['if-range'] as string | undefined,
      authorization: req.headers.authorization
    })
    const route = routes[decodeURIComponent(url.pathname)]
    if (route) return route(req, res)
    res.writeHead(404, { 'content-type': 'text/plain' })
    res.end('not here')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
})

let stagingDir: string
beforeEach(async () => {
  seen = []
  counters = new Map()
  stagingDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cod-http-'))
})
afterEach(async () => {
  await fs.rm(stagingDir, { recursive: true, force: true })
})

const settings: SourceSettings = { ipfsGateway: 'https://trustless-gateway.invalid' }

function stage(url: string, extra: { checksumSha256?: string; settings?: Partial<SourceSettings> } = {}) {
  const log = collectingLog()
  const promise = stageHttp({
    source: { scheme: 'http', url, ...(extra.checksumSha256 ? { checksumSha256: extra.checksumSha256 } : {}) },
    stagingDir,
    settings: { ...settings, ...extra.settings },
    log
  })
  return { log, promise }
}

test('follows redirects and names the file from Content-Disposition', async () => {
  const { promise } = stage(`${base}/redirect`)
  const staged = await promise
  expect(staged.hostPath).toBe(path.join(stagingDir, 'measurements.csv'))
  expect(await fs.readFile(staged.hostPath, 'utf8')).toBe('a,b\n1,2\n\n')
  expect(staged.identity).toEqual({
    scheme: 'http',
    url: `${base}/redirect`,
    finalUrl: `${base}/files/blob-7f3a?x=2`,
    sha256: createHash('sha256').update('a,b\n1,2\n\n').digest('hex'),
    filename: 'measurements.csv'
  })
  expect(seen.map((s) => s.url)).toEqual(['/redirect', '/hop2?x=1', '/files/blob-7f3a?x=2'])
  expect(await fs.readdir(stagingDir)).toEqual(['measurements.csv'])
})

test('without Content-Disposition the name is the last segment of the final URL, decoded', async () => {
  const staged = await stage(`${base}/to-report`).promise
  expect(path.basename(staged.hostPath)).toBe('summary final.txt')
  expect(await fs.readFile(staged.hostPath, 'utf8')).toBe('summary')
})

test('a server-chosen name cannot leave the staging folder', async () => {
  const staged = await stage(`${base}/evil-name`).promise
  expect(staged.hostPath).toBe(path.join(stagingDir, 'passwd'))
})

test('a body without Content-Length is streamed to the end', async () => {
  const staged = await stage(`${base}/chunked.bin`).promise
  expect(staged.bytes).toBe(BODY.length)
  expect((await fs.readFile(staged.hostPath)).equals(BODY)).toBe(true)
  expect(staged.identity).toMatchObject({ sha256: SHA, filename: 'chunked.bin' })
})

test('a connection reset mid-body resumes with Range from the bytes already on disk', async () => {
  const { promise, log } = stage(`${base}/resumable.bin`)
  const staged = await promise
  expect((await fs.readFile(staged.hostPath)).equals(BODY)).toBe(true)
  expect(seen).toHaveLength(2)
  expect(seen[0]!.range).toBeUndefined()
  expect(seen[1]!.range).toBe(`bytes=${BODY.length / 2}-`)
  expect(seen[1]!.ifRange).toBe('"v1"')
  expect(staged.identity).toMatchObject({ sha256: SHA })
  expect(log.lines.some((line) => line.startsWith('Resuming at'))).toBe(true)
})

test('a server that answers a Range request with 200 is downloaded again from zero', async () => {
  const { promise, log } = stage(`${base}/ignores-range.bin`)
  const staged = await promise
  expect(seen[1]!.range).toBe(`bytes=${BODY.length / 2}-`)
  expect(staged.bytes).toBe(BODY.length)
  expect((await fs.readFile(staged.hostPath)).equals(BODY)).toBe(true)
  expect(log.lines).toContain('The server sent the whole file again; restarting from zero.')
})

test('a 500 is retried', async () => {
  const { promise, log } = stage(`${base}/flaky.bin`)
  const staged = await promise
  expect(counters.get('flaky')).toBe(2)
  expect((await fs.readFile(staged.hostPath)).equals(BODY)).toBe(true)
  expect(log.lines.some((line) => /Attempt 1 failed: the server answered 500/.test(line))).toBe(true)
})

test('retries are bounded', async () => {
  await expect(stage(`${base}/always-503`).promise).rejects.toThrow(
    `Input '${base}/always-503': the server answered 503 Service Unavailable; gave up after 5 attempts.`
  )
  expect(counters.get('always-503')).toBe(5)
  expect(await fs.readdir(stagingDir)).toEqual([])
})

test('a 404 is one clear error naming the URL, with nothing left behind', async () => {
  await expect(stage(`${base}/missing.csv`).promise).rejects.toThrow(
    `Input '${base}/missing.csv': the server answered 404 Not Found.`
  )
  expect(seen).toHaveLength(1)
  expect(await fs.readdir(stagingDir)).toEqual([])
})

test('an HTML directory listing is staged as one file', async () => {
  const staged = await stage(`${base}/listing/`).promise
  expect(staged.hostPath).toBe(path.join(stagingDir, 'listing'))
  expect((await fs.stat(staged.hostPath)).isFile()).toBe(true)
  expect(await fs.readFile(staged.hostPath, 'utf8')).toContain('<a href="a.csv">')
})

test('a matching checksum passes', async () => {
  const staged = await stage(`${base}/flaky.bin`, { checksumSha256: SHA }).promise
  expect(staged.identity).toMatchObject({ sha256: SHA })
})

test('a checksum mismatch is an error and the file is deleted', async () => {
  const wrong = 'ab'.repeat(32)
  await expect(stage(`${base}/chunked.bin`, { checksumSha256: wrong }).promise).rejects.toThrow(
    `Input '${base}/chunked.bin': checksum mismatch: expected SHA-256 ${wrong}, got ${SHA}; the download was deleted.`
  )
  expect(await fs.readdir(stagingDir)).toEqual([])
})

test('an input over maxInputBytes is refused', async () => {
  await expect(stage(`${base}/chunked.bin`, { settings: { maxInputBytes: 1000 } }).promise).rejects.toThrow(
    /^Input '.*\/chunked\.bin': it is over the 1000 B limit for one input\.$/
  )
  expect(await fs.readdir(stagingDir)).toEqual([])
})

describe('credentials in the URL', () => {
  const secretUrl = (route: string): string => {
    const url = new URL(`${base}${route}`)
    url.username = SECRETS.user
    url.password = SECRETS.password
    return `${url.href}?X-Amz-Signature=${SECRETS.signature}&token=${SECRETS.token}&part=3`
  }
  const everySecret = Object.values(SECRETS)

  test('are used, masked first, and never logged or recorded', async () => {
    const { promise, log } = stage(secretUrl('/private/data.bin'))
    const staged = await promise
    expect((await fs.readFile(staged.hostPath)).equals(BODY)).toBe(true)
    expect(seen[0]!.url).toBe(`/private/data.bin?X-Amz-Signature=${SECRETS.signature}&token=${SECRETS.token}&part=3`)
    expect(log.masked).toEqual(expect.arrayContaining(everySecret))
    expect(log.lines.length).toBeGreaterThan(0)
    const recorded = [...log.lines, JSON.stringify(staged.identity)].join('\n')
    for (const secret of everySecret) expect(recorded).not.toContain(secret)
    expect(staged.identity).toMatchObject({
      url: `http://***:***@127.0.0.1:${new URL(base).port}/private/data.bin?X-Amz-Signature=***&token=***&part=3`,
      filename: 'data.bin'
    })
  })

  test('stay out of error messages', async () => {
    const { promise, log } = stage(secretUrl('/private/missing.bin'))
    const error = (await promise.then(
      () => undefined,
      (e: unknown) => e
    )) as Error
    expect(error.message).toMatch(
      /^Input 'http:\/\/\*\*\*:\*\*\*@127\.0\.0\.1:\d+\/private\/missing\.bin\?X-Amz-Signature=\*\*\*&token=\*\*\*&part=3': the server answered 404 Not Found\.$/
    )
    for (const secret of everySecret) {
      expect(error.message).not.toContain(secret)
      expect(log.lines.join('\n')).not.toContain(secret)
    }
  })

  test('are not sent on to another origin after a redirect', async () => {
    const other = http.createServer((req, res) => {
      seen.push({ url: `other:${req.url}`, authorization: req.headers.authorization })
      res.end('elsewhere')
    })
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve))
    const otherBase = `http://127.0.0.1:${(other.address() as AddressInfo).port}`
    routes['/bounce'] = (_req, res) => {
      res.writeHead(302, { location: `${otherBase}/landing.txt?sig=${SECRETS.signature}` })
      res.end()
    }
    try {
      const url = new URL(`${base}/bounce`)
      url.username = SECRETS.user
      url.password = SECRETS.password
      const { promise, log } = stage(url.href)
      const staged = await promise
      expect(seen.map((s) => Boolean(s.authorization))).toEqual([true, false])
      expect(staged.identity).toMatchObject({ finalUrl: `${otherBase}/landing.txt?sig=***`, filename: 'landing.txt' })
      expect(log.masked).toContain(SECRETS.signature)
      expect(log.lines.join('\n')).not.toContain(SECRETS.signature)
    } finally {
      delete routes['/bounce']
      other.closeAllConnections()
      await new Promise((resolve) => other.close(resolve))
    }
  })
})
