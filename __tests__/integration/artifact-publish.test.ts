import { execFileSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { DefaultArtifactClient } from '@actions/artifact'
import yauzl from 'yauzl'
import { publishArtifact } from '../../src/publishers/artifact.js'
import type { Log, PublishContext } from '../../src/publishers/types.js'
import type { ArtifactPublishSettings } from '../../src/spec/job-spec.js'
import { backendIds, runtimeToken, type RecordedArtifact, type RecordedRequest } from '../servers/artifact.js'

// Runs the real @actions/artifact client against the Twirp double, which
// stores every zip in a real Azurite; each test has its own workflow run (its
// own runtime token), so the double's records are that test's alone.

const serviceUrl = process.env.COD_RESULTS_URL
if (!serviceUrl)
  throw new Error('COD_RESULTS_URL is not set: run with the artifact test server (COD_TEST_SERVERS=artifact).')

const ACTIONS_ENV = [
  'ACTIONS_RESULTS_URL',
  'ACTIONS_RUNTIME_TOKEN',
  'GITHUB_SERVER_URL',
  'GITHUB_REPOSITORY',
  'GITHUB_RUN_ID'
] as const
const saved = Object.fromEntries(ACTIONS_ENV.map((name) => [name, process.env[name]]))

let scratch: string
let token: string
let run: string

beforeEach(async () => {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'cod-artifact-test-'))
  token = runtimeToken()
  run = backendIds(token)!.run
  process.env.ACTIONS_RESULTS_URL = serviceUrl
  process.env.ACTIONS_RUNTIME_TOKEN = token
  process.env.GITHUB_SERVER_URL = 'https://github.com'
  process.env.GITHUB_REPOSITORY = 'octo-org/octo-repo'
  process.env.GITHUB_RUN_ID = '4242'
})

afterEach(async () => {
  for (const name of ACTIONS_ENV) {
    if (saved[name] === undefined) delete process.env[name]
    else process.env[name] = saved[name]
  }
  await rm(scratch, { recursive: true, force: true })
})

class TestLog implements Log {
  readonly infos: string[] = []
  readonly warnings: string[] = []
  info(message: string): void {
    this.infos.push(message)
  }
  warning(message: string): void {
    this.warnings.push(message)
  }
  debug(): void {}
  async group<T>(_title: string, body: () => Promise<T>): Promise<T> {
    return await body()
  }
  mask(): void {}
}

interface Job {
  context: PublishContext & { log: TestLog }
  manifest: string
}

/** A Bacalhau-style results folder with a dotfile, nesting, an empty file and an empty folder. */
async function makeJob(stdout = 'hello from the container\n'): Promise<Job> {
  const workDir = path.join(scratch, 'work')
  const resultsDir = path.join(workDir, 'results')
  await mkdir(path.join(resultsDir, 'outputs', 'nested', 'deeper'), { recursive: true })
  await mkdir(path.join(resultsDir, 'outputs', 'empty-folder'), { recursive: true })
  await mkdir(path.join(resultsDir, 'logs'), { recursive: true })
  await writeFile(path.join(resultsDir, 'stdout'), stdout)
  await writeFile(path.join(resultsDir, 'stderr'), '')
  await writeFile(path.join(resultsDir, 'exitCode'), '0')
  await writeFile(path.join(resultsDir, 'outputs', '.hidden'), 'a dotfile\n')
  await writeFile(path.join(resultsDir, 'outputs', 'empty.txt'), '')
  await writeFile(path.join(resultsDir, 'outputs', 'nested', 'table.csv'), 'a,b\n'.repeat(50_000))
  // Random, so incompressible: the zip is over 8 MiB and goes up in two blocks.
  await writeFile(path.join(resultsDir, 'outputs', 'nested', 'deeper', 'data.bin'), randomBytes(9 * 1024 * 1024))
  await writeFile(path.join(resultsDir, 'logs', 'run.log'), 'step 1\nstep 2\n')
  const manifest = path.join(workDir, 'manifest.json')
  await writeFile(manifest, JSON.stringify({ job: 'test', cid: 'bafy-test' }, null, 2))
  return { context: { resultsDir, workDir, log: new TestLog() }, manifest }
}

const settings = (overrides: Partial<ArtifactPublishSettings> = {}): ArtifactPublishSettings => ({
  name: 'results',
  overwrite: false,
  ...overrides
})

async function admin<T>(route: string, method = 'GET'): Promise<T> {
  const response = await fetch(new URL(`/_test/${route}${route.includes('?') ? '&' : '?'}run=${run}`, serviceUrl), {
    method
  })
  if (!response.ok) throw new Error(`admin ${route}: ${response.status} ${await response.text()}`)
  return (await response.json()) as T
}

const artifacts = (): Promise<RecordedArtifact[]> => admin('artifacts')
const requests = (): Promise<RecordedRequest[]> => admin('requests')

async function download(url: string): Promise<Buffer> {
  const response = await fetch(url)
  if (!response.ok) throw new Error(`download: ${response.status}`)
  return Buffer.from(await response.arrayBuffer())
}

interface ZipEntry {
  data: Buffer
  compressionMethod: number
}

async function unzip(zip: Buffer): Promise<Map<string, ZipEntry>> {
  const file = await yauzl.fromBufferPromise(zip, { lazyEntries: true })
  const entries = new Map<string, ZipEntry>()
  await new Promise<void>((resolve, reject) => {
    file.on('error', reject)
    file.on('end', resolve)
    file.on('entry', (entry: yauzl.Entry) => {
      file.openReadStream(entry, (error, stream) => {
        if (error) return reject(error)
        const chunks: Buffer[] = []
        stream.on('data', (chunk: Buffer) => chunks.push(chunk))
        stream.on('error', reject)
        stream.on('end', () => {
          if (entries.has(entry.fileName)) reject(new Error(`${entry.fileName} is in the zip twice`))
          entries.set(entry.fileName, { data: Buffer.concat(chunks), compressionMethod: entry.compressionMethod })
          file.readEntry()
        })
      })
    })
    file.readEntry()
  })
  return entries
}

/** What the zip must hold for a folder: files by content, folders as `name/`. */
async function expectedEntries(dir: string, prefix = ''): Promise<Map<string, Buffer | 'dir'>> {
  const expected = new Map<string, Buffer | 'dir'>()
  for (const name of await readdir(dir)) {
    const full = path.join(dir, name)
    const stats = await lstat(full)
    if (stats.isDirectory()) {
      expected.set(`${prefix}${name}/`, 'dir')
      for (const [entry, value] of await expectedEntries(full, `${prefix}${name}/`)) expected.set(entry, value)
    } else if (stats.isFile()) {
      expected.set(`${prefix}${name}`, await readFile(full))
    }
  }
  return expected
}

function compareZip(entries: Map<string, ZipEntry>, expected: Map<string, Buffer | 'dir'>): void {
  expect([...entries.keys()].sort()).toEqual([...expected.keys()].sort())
  for (const [name, value] of expected) {
    const entry = entries.get(name)!
    if (value === 'dir') expect(entry.data.length).toBe(0)
    else expect(entry.data.equals(value)).toBe(true)
  }
}

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex')

describe('publishArtifact', () => {
  test('uploads the results folder at the zip root with the extra files, byte for byte', async () => {
    const { context, manifest } = await makeJob()
    const published = await publishArtifact(context, settings({ retentionDays: 3, compressionLevel: 0 }), [manifest])

    const [artifact, ...others] = await artifacts()
    expect(others).toEqual([])
    expect(artifact!.name).toBe('results')
    expect(published.publisher).toBe('artifact')
    expect(published.outputs).toEqual({
      'artifact-id': String(artifact!.id),
      'artifact-url': `https://github.com/octo-org/octo-repo/actions/runs/4242/artifacts/${artifact!.id}`,
      'artifact-digest': expect.stringMatching(/^[0-9a-f]{64}$/)
    })

    const zip = await download(artifact!.blobUrl)
    expect(zip.length).toBeGreaterThan(9 * 1024 * 1024)
    expect(sha256(zip)).toBe(published.outputs['artifact-digest'])
    expect(artifact!.hash).toBe(`sha256:${sha256(zip)}`)
    expect(artifact!.size).toBe(zip.length)

    const calls = await requests()
    const create = calls.find((call) => call.method === 'CreateArtifact')!
    expect(create.body).toMatchObject({ name: 'results', mime_type: 'application/zip', version: 7 })
    const expiresIn = Date.parse(create.body.expires_at as string) - Date.now()
    expect(Math.abs(expiresIn - 3 * 86_400_000)).toBeLessThan(2 * 3_600_000)
    expect(calls.find((call) => call.method === 'FinalizeArtifact')!.body).toMatchObject({
      hash: artifact!.hash,
      size: String(zip.length)
    })

    const entries = await unzip(zip)
    const expected = await expectedEntries(context.resultsDir)
    expected.set('manifest.json', await readFile(manifest))
    compareZip(entries, expected)
    expect(entries.has('outputs/.hidden')).toBe(true)
    expect(entries.has('outputs/empty-folder/')).toBe(true)
    expect(entries.get('outputs/empty.txt')!.data.length).toBe(0)
    // Level 0 stores every file as it is.
    for (const [name, entry] of entries) if (!name.endsWith('/')) expect(entry.compressionMethod).toBe(0)

    // The upload root was scratch: nothing of it is left beside the results.
    expect((await readdir(context.workDir)).sort()).toEqual(['manifest.json', 'results'])
  })

  test('downloads back, through the official client, to the same folder', async () => {
    const { context, manifest } = await makeJob()
    const published = await publishArtifact(context, settings(), [manifest])

    const target = path.join(scratch, 'downloaded')
    const downloaded = await new DefaultArtifactClient().downloadArtifact(Number(published.outputs['artifact-id']), {
      path: target,
      // The download side compares against the service's `sha256:` form.
      expectedHash: `sha256:${published.outputs['artifact-digest']}`
    })
    expect(downloaded.digestMismatch).toBe(false)
    const expected = await expectedEntries(context.resultsDir)
    expected.set('manifest.json', await readFile(manifest))
    // Compared by digest: Jest's deep equality walks a 9 MiB Buffer byte by byte.
    const digests = (entries: Map<string, Buffer | 'dir'>): Record<string, string> =>
      Object.fromEntries([...entries].map(([name, value]) => [name, value === 'dir' ? 'dir' : sha256(value)]))
    expect(digests(await expectedEntries(target))).toEqual(digests(expected))
  })

  test('refuses a name clash without artifact-overwrite, and sends nothing', async () => {
    const { context, manifest } = await makeJob()
    const first = await publishArtifact(context, settings(), [manifest])
    const before = (await requests()).length

    await expect(publishArtifact(context, settings(), [manifest])).rejects.toThrow(
      /^Artifact upload 'results': an artifact of this name already exists in this workflow run \(id \d+\)\. Set the input 'artifact-overwrite'/
    )
    const after = (await requests()).slice(before)
    expect(after.map((call) => call.method)).toEqual(['ListArtifacts'])
    expect((await artifacts()).map((a) => String(a.id))).toEqual([first.outputs['artifact-id']])
  })

  test('replaces the artifact with artifact-overwrite', async () => {
    const { context, manifest } = await makeJob('first run\n')
    const first = await publishArtifact(context, settings(), [manifest])
    const [old] = await artifacts()

    await writeFile(path.join(context.resultsDir, 'stdout'), 'second run\n')
    const second = await publishArtifact(context, settings({ overwrite: true }), [manifest])

    const [replaced, ...others] = await artifacts()
    expect(others).toEqual([])
    expect(String(replaced!.id)).toBe(second.outputs['artifact-id'])
    expect(second.outputs['artifact-id']).not.toBe(first.outputs['artifact-id'])
    expect((await requests()).filter((call) => call.method === 'DeleteArtifact').map((call) => call.status)).toEqual([
      200
    ])
    // The old blob is gone from the store, the new one holds the new stdout.
    expect((await fetch(old!.blobUrl)).status).toBe(404)
    const zip = await download(replaced!.blobUrl)
    expect(sha256(zip)).toBe(second.outputs['artifact-digest'])
    const entries = await unzip(zip)
    expect(entries.get('stdout')!.data.toString()).toBe('second run\n')
    // Default compression: the repetitive table shrinks.
    expect(entries.get('outputs/nested/table.csv')!.compressionMethod).toBe(8)
  })

  test('retries when the service answers 500 twice, then succeeds', async () => {
    const { context, manifest } = await makeJob()
    await admin('fail?method=CreateArtifact&count=2&status=500', 'POST')

    const published = await publishArtifact(context, settings(), [manifest])

    const creates = (await requests()).filter((call) => call.method === 'CreateArtifact')
    expect(creates.map((call) => call.status)).toEqual([500, 500, 200])
    const [artifact] = await artifacts()
    expect(String(artifact!.id)).toBe(published.outputs['artifact-id'])
    expect(sha256(await download(artifact!.blobUrl))).toBe(published.outputs['artifact-digest'])
  })

  test('never reads through a symlink out of the results, and skips FIFOs', async () => {
    const { context, manifest } = await makeJob()
    const outputs = path.join(context.resultsDir, 'outputs')
    await writeFile(path.join(outputs, 'inside.txt'), 'kept through the link\n')
    await symlink('/etc/passwd', path.join(outputs, 'passwd'))
    await symlink('/etc', path.join(outputs, 'etc'))
    await symlink('../../manifest.json', path.join(outputs, 'up'))
    await symlink('/nowhere/at/all', path.join(outputs, 'dangling'))
    await symlink('nested', path.join(outputs, 'folder-link'))
    await symlink('inside.txt', path.join(outputs, 'inner-link'))
    execFileSync('mkfifo', [path.join(outputs, 'pipe')])

    const published = await publishArtifact(context, settings(), [manifest])

    const [artifact] = await artifacts()
    const zip = await download(artifact!.blobUrl)
    expect(sha256(zip)).toBe(published.outputs['artifact-digest'])
    const entries = await unzip(zip)
    const passwd = await readFile('/etc/passwd')
    for (const [name, entry] of entries) {
      expect(name.startsWith('outputs/etc')).toBe(false)
      expect(entry.data.equals(passwd)).toBe(false)
    }
    for (const name of ['passwd', 'etc', 'up', 'dangling', 'folder-link', 'pipe']) {
      expect(entries.has(`outputs/${name}`)).toBe(false)
      expect(context.log.warnings.some((w) => w.startsWith(`Artifact 'results': outputs/${name} is left out`))).toBe(
        true
      )
    }
    // A link to a file inside the results is kept, as its target's bytes.
    expect(entries.get('outputs/inner-link')!.data.toString()).toBe('kept through the link\n')
    // manifest.json is in the zip once, at the root, as the extra file.
    expect(entries.get('manifest.json')!.data.equals(await readFile(manifest))).toBe(true)
  })

  test('names the paths artifacts refuse before creating anything', async () => {
    const { context, manifest } = await makeJob()
    await writeFile(path.join(context.resultsDir, 'outputs', 'at 12:00.txt'), 'x')

    await expect(publishArtifact(context, settings(), [manifest])).rejects.toThrow(
      /^Artifact upload 'results': "outputs\/at 12:00\.txt" in the results contain characters artifacts refuse/
    )
    expect(await requests()).toEqual([])
  })

  test('refuses an extra file that shadows an entry of the results', async () => {
    const { context, manifest } = await makeJob()
    await writeFile(path.join(context.resultsDir, 'manifest.json'), '{}')

    await expect(publishArtifact(context, settings(), [manifest])).rejects.toThrow(
      /^Artifact upload 'results': manifest\.json would be written twice at the root of the artifact/
    )
    expect(await requests()).toEqual([])
  })

  test('fails clearly on GitHub Enterprise Server, which the artifact service does not serve', async () => {
    const { context, manifest } = await makeJob()
    process.env.GITHUB_SERVER_URL = 'https://ghes.example.com'

    await expect(publishArtifact(context, settings(), [manifest])).rejects.toThrow(
      /^Artifact upload 'results': .* not currently supported on GHES/
    )
    expect(await requests()).toEqual([])
  })

  test('says which runner variable is missing', async () => {
    const { context, manifest } = await makeJob()
    delete process.env.ACTIONS_RESULTS_URL

    await expect(publishArtifact(context, settings(), [manifest])).rejects.toThrow(
      /^Artifact upload 'results': ACTIONS_RESULTS_URL is not set/
    )
    expect(await requests()).toEqual([])
  })
})
