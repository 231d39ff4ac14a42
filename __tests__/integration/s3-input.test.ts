import { createHash, randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { CreateBucketCommand, PutBucketVersioningCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import type { InputSource } from '../../src/spec/job-spec.js'
import { downloadS3, listS3, stageS3 } from '../../src/storage/s3.js'
import type { SourceSettings } from '../../src/storage/types.js'
import { collectingLog } from '../helpers/log.js'
import { seedingS3Client, testS3 } from '../helpers/test-servers.js'

// Against radosgw (script/setup-radosgw.sh), which checks SigV4 signatures:
// credentials reach the stager only through the SDK's default chain, as on a
// runner, so the tests set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.
type S3Source = Extract<InputSource, { scheme: 's3' }>

const s3 = testS3()
const { endpoint, accessKey, secretKey } = s3
const settings: SourceSettings = {
  ipfsGateway: 'https://trustless-gateway.invalid',
  s3Endpoint: endpoint,
  s3Region: 'us-east-1'
}

// Fresh names per run, so a rerun against the same server starts clean.
const run = randomBytes(3).toString('hex')
const FILES = `cod-files-${run}`
const MANY = `cod-many-${run}`
const VERSIONED = `cod-versions-${run}`
const MANY_KEYS = 1_050

const seeder = seedingS3Client(s3)

const put = async (
  bucket: string,
  key: string,
  body: string | Buffer
): Promise<{ etag: string; versionId?: string }> => {
  const out = await seeder.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: Buffer.from(body) }))
  return { etag: out.ETag!, versionId: out.VersionId }
}

const REPORT = Buffer.from(JSON.stringify({ rows: 3, ok: true }))
let reportEtag: string
let versions: { v1: string; v2: string }

beforeAll(async () => {
  process.env.AWS_ACCESS_KEY_ID = accessKey
  process.env.AWS_SECRET_ACCESS_KEY = secretKey
  for (const bucket of [FILES, MANY, VERSIONED]) await seeder.send(new CreateBucketCommand({ Bucket: bucket }))
  reportEtag = (await put(FILES, 'single/report.json', REPORT)).etag
  await Promise.all([
    put(FILES, 'data/', ''),
    put(FILES, 'data/sub/', ''),
    put(FILES, 'data/x/y.csv', 'y1,y2\n'),
    put(FILES, 'data/a.csv', 'a1,a2\n'),
    put(FILES, 'data/notes.txt', 'notes'),
    put(FILES, 'dab.txt', 'dab'),
    put(FILES, 'other/z.csv', 'z')
  ])
  await seeder.send(
    new PutBucketVersioningCommand({ Bucket: VERSIONED, VersioningConfiguration: { Status: 'Enabled' } })
  )
  const v1 = await put(VERSIONED, 'doc.txt', 'version one')
  const v2 = await put(VERSIONED, 'doc.txt', 'version two, longer')
  versions = { v1: v1.versionId!, v2: v2.versionId! }
  // Seeded 32 at a time: enough to be quick, few enough for a 2-core machine.
  const keys = Array.from({ length: MANY_KEYS }, (_, i) => `many/k${String(i).padStart(4, '0')}.txt`)
  const pending = [...keys]
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      for (let key = pending.shift(); key; key = pending.shift()) await put(MANY, key, key)
    })
  )
}, 120_000)

afterAll(() => seeder.destroy())

let stagingDir: string
beforeEach(async () => {
  stagingDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cod-s3-'))
})
afterEach(async () => {
  await fs.rm(stagingDir, { recursive: true, force: true })
})

function source(bucket: string, key: string, options: Partial<S3Source> = {}): S3Source {
  const isPrefix = key === '' || key.endsWith('/') || key.endsWith('*')
  return { scheme: 's3', bucket, key: key.replace(/\*$/, ''), isPrefix, ...options }
}

function request(src: S3Source, extra: Partial<SourceSettings> = {}) {
  return { source: src, stagingDir, settings: { ...settings, ...extra }, log: collectingLog() }
}

/** Every file under a folder, relative, `/`-separated, sorted. */
async function tree(folder: string): Promise<string[]> {
  const entries = await fs.readdir(folder, { recursive: true, withFileTypes: true })
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(folder, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
    .sort()
}

async function withSecret<T>(secret: string, body: () => Promise<T>): Promise<T> {
  process.env.AWS_SECRET_ACCESS_KEY = secret
  try {
    return await body()
  } finally {
    process.env.AWS_SECRET_ACCESS_KEY = secretKey
  }
}

test('a single object is staged as one file named after the key', async () => {
  const staged = await stageS3(request(source(FILES, 'single/report.json')))
  expect(staged.hostPath).toBe(path.join(stagingDir, 'report.json'))
  expect((await fs.readFile(staged.hostPath)).equals(REPORT)).toBe(true)
  expect(staged.bytes).toBe(REPORT.length)
  // A versionless bucket: no versionId in the identity.
  expect(staged.identity).toEqual({
    scheme: 's3',
    bucket: FILES,
    key: 'single/report.json',
    objects: [{ key: 'single/report.json', etag: reportEtag, size: REPORT.length }]
  })
})

test('a single object with a matching checksum is staged; a mismatch is an error and nothing is left', async () => {
  const sha = createHash('sha256').update(REPORT).digest('hex')
  const staged = await stageS3(request(source(FILES, 'single/report.json', { checksumSha256: sha })))
  expect((await fs.readFile(staged.hostPath)).equals(REPORT)).toBe(true)
  await fs.rm(staged.hostPath)

  const wrong = '0'.repeat(64)
  await expect(stageS3(request(source(FILES, 'single/report.json', { checksumSha256: wrong })))).rejects.toThrow(
    `Input 's3://${FILES}/single/report.json': checksum mismatch: expected SHA-256 ${wrong}, got ${sha}; the download was deleted.`
  )
  expect(await fs.readdir(stagingDir)).toEqual([])
})

test('a prefix keeps the layout below it and skips directory markers', async () => {
  const staged = await stageS3(request(source(FILES, 'data/')))
  expect(staged.hostPath).toBe(stagingDir)
  expect(await tree(stagingDir)).toEqual(['a.csv', 'notes.txt', 'x/y.csv'])
  expect(await fs.readFile(path.join(stagingDir, 'x/y.csv'), 'utf8')).toBe('y1,y2\n')
  expect(staged.identity).toMatchObject({ scheme: 's3', bucket: FILES, key: 'data/' })
  if (staged.identity.scheme !== 's3') throw new Error('not an s3 identity')
  expect(staged.identity.objects.map((o) => o.key).sort()).toEqual(['data/a.csv', 'data/notes.txt', 'data/x/y.csv'])
  expect(staged.bytes).toBe(6 + 6 + 5)
})

test('a trailing * is a prefix whose keys land relative to its directory part', async () => {
  const staged = await stageS3(request(source(FILES, 'da*')))
  expect(await tree(staged.hostPath)).toEqual(['dab.txt', 'data/a.csv', 'data/notes.txt', 'data/x/y.csv'])
})

test('the filter is matched against the key without the prefix', async () => {
  await stageS3(request(source(FILES, 'data/', { filter: '^x/' })))
  expect(await tree(stagingDir)).toEqual(['x/y.csv'])
  await fs.rm(path.join(stagingDir, 'x'), { recursive: true })
  await stageS3(request(source(FILES, 'data/', { filter: '\\.csv$' })))
  expect(await tree(stagingDir)).toEqual(['a.csv', 'x/y.csv'])
})

test('a filter that matches nothing is a clear error', async () => {
  await expect(stageS3(request(source(FILES, 'data/', { filter: '\\.parquet$' })))).rejects.toThrow(
    `Input 's3://${FILES}/data/': none of the 3 objects under the prefix matches the filter \\.parquet$.`
  )
})

test('a prefix matching nothing is a clear error', async () => {
  await expect(stageS3(request(source(FILES, 'nothing-here/')))).rejects.toThrow(
    `Input 's3://${FILES}/nothing-here/': no objects under this prefix in bucket "${FILES}".`
  )
})

test('a listing of more than 1,000 keys is paginated', async () => {
  const staged = await stageS3(request(source(MANY, 'many/')))
  const files = await tree(stagingDir)
  expect(files).toHaveLength(MANY_KEYS)
  expect(files[0]).toBe('k0000.txt')
  expect(files.at(-1)).toBe(`k${MANY_KEYS - 1}.txt`)
  expect(await fs.readFile(path.join(stagingDir, 'k1049.txt'), 'utf8')).toBe('many/k1049.txt')
  if (staged.identity.scheme !== 's3') throw new Error('not an s3 identity')
  expect(staged.identity.objects).toHaveLength(MANY_KEYS)
  expect(staged.bytes).toBe(MANY_KEYS * 'many/k0000.txt'.length)
})

test('a versionId picks that version and is recorded', async () => {
  const old = await stageS3(request(source(VERSIONED, 'doc.txt', { versionId: versions.v1 })))
  expect(await fs.readFile(old.hostPath, 'utf8')).toBe('version one')
  expect(old.identity).toMatchObject({ objects: [{ key: 'doc.txt', versionId: versions.v1, size: 11 }] })
  await fs.rm(old.hostPath)
  const latest = await stageS3(request(source(VERSIONED, 'doc.txt')))
  expect(await fs.readFile(latest.hostPath, 'utf8')).toBe('version two, longer')
  expect(latest.identity).toMatchObject({ objects: [{ key: 'doc.txt', versionId: versions.v2 }] })
})

test('a wrong secret is reported as refused credentials, without showing them', async () => {
  const wrongSecret = `wrong-${randomBytes(8).toString('hex')}`
  for (const key of ['single/report.json', 'data/']) {
    const error = (await withSecret(wrongSecret, () => stageS3(request(source(FILES, key)))).catch(
      (e: unknown) => e
    )) as Error
    expect(error.message).toBe(
      `Input 's3://${FILES}/${key}': the S3 server refused the credentials (SignatureDoesNotMatch); check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or the role the runner uses).`
    )
    expect(error.message).not.toContain(wrongSecret)
    expect(error.message).not.toContain(accessKey)
  }
})

test('a missing bucket and a missing key are told apart', async () => {
  await expect(stageS3(request(source(`cod-nope-${run}`, 'data/')))).rejects.toThrow(
    `Input 's3://cod-nope-${run}/data/': the bucket "cod-nope-${run}" does not exist at ${endpoint}.`
  )
  await expect(stageS3(request(source(`cod-nope-${run}`, 'file.txt')))).rejects.toThrow(
    `Input 's3://cod-nope-${run}/file.txt': the bucket "cod-nope-${run}" does not exist at ${endpoint}.`
  )
  await expect(stageS3(request(source(FILES, 'single/absent.json')))).rejects.toThrow(
    `Input 's3://${FILES}/single/absent.json': no object "single/absent.json" in bucket "${FILES}".`
  )
})

test('an endpoint nobody answers on is a clear error', async () => {
  const src = source(FILES, 'single/report.json', { endpoint: 'http://127.0.0.1:9' })
  await expect(stageS3(request(src))).rejects.toThrow(
    `Input 's3://${FILES}/single/report.json': cannot reach the S3 endpoint http://127.0.0.1:9 (ECONNREFUSED).`
  )
})

test('an object changed between listing and download is an error, not a mix', async () => {
  const req = request(source(FILES, 'data/'))
  const listing = await listS3(req)
  await put(FILES, 'data/notes.txt', 'notes, edited after the listing')
  await expect(downloadS3(req, listing)).rejects.toThrow(
    `Input 's3://${FILES}/data/': the object "data/notes.txt" changed while the input was being staged (its ETag no longer matches the listing); run again.`
  )
  expect(await fs.readdir(stagingDir)).toEqual([])
})

test('a key that would escape the staging folder is refused before any download', async () => {
  const req = request(source(FILES, 'data/'))
  const listing = {
    single: false,
    objects: [{ key: 'data/../../escape.txt', etag: '"x"', size: 1, localPath: '../../escape.txt' }]
  }
  await expect(downloadS3(req, listing)).rejects.toThrow(
    `Input 's3://${FILES}/data/': the key "data/../../escape.txt" would be written outside the input folder; such keys are refused.`
  )
  expect(await fs.readdir(path.dirname(stagingDir))).not.toContain('escape.txt')
})
