import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import { Upload } from '@aws-sdk/lib-storage'
import { seedingS3Client } from '../../__tests__/helpers/test-servers.js'
import type { Context, Scenario } from '../harness/context.js'
import { filesUnder, writeRandomFile } from '../harness/data.js'
import { compare, type ComparisonResult } from '../harness/measure.js'
import { nodeSideSample, stagedPath } from '../harness/proc.js'

const UPLOAD_CONCURRENCY = 16

/**
 * radosgw (script/setup-radosgw.sh, as the tests use it): many small objects
 * under one prefix against a sequential GET loop, and one large object
 * against a single GET, both with the same SDK and client settings.
 */
export const s3Scenario: Scenario = {
  id: 's3',
  parts: ['s3-many', 's3-large'],
  async run(context: Context) {
    const { sizes } = context
    const env = await context.servers.get('s3')
    const credentials = { AWS_ACCESS_KEY_ID: env.COD_S3_ACCESS_KEY!, AWS_SECRET_ACCESS_KEY: env.COD_S3_SECRET_KEY! }
    const endpoint = env.COD_S3_ENDPOINT!
    const client = seedingS3Client({
      endpoint,
      accessKey: credentials.AWS_ACCESS_KEY_ID,
      secretKey: credentials.AWS_SECRET_ACCESS_KEY
    })
    const bucket = `cod-bench-${randomBytes(3).toString('hex')}`
    await client.send(new CreateBucketCommand({ Bucket: bucket }))
    context.log(
      `  uploading ${sizes.s3SmallObjects} small objects and one of ${sizes.s3LargeObjectBytes / 2 ** 20} MiB`
    )
    const keys = context.wants('s3-many')
      ? Array.from({ length: sizes.s3SmallObjects }, (_, i) => `many/${String(i).padStart(5, '0')}.bin`)
      : []
    const workers = Array.from({ length: UPLOAD_CONCURRENCY }, async () => {
      for (let key = keys.shift(); key; key = keys.shift()) {
        await client.send(
          new PutObjectCommand({ Bucket: bucket, Key: key, Body: randomBytes(sizes.s3SmallObjectBytes) })
        )
      }
    })
    await Promise.all(workers)
    const root = fs.mkdtempSync(path.join(context.tmp, 's3-'))
    const largeFile = path.join(root, 'large.bin')
    writeRandomFile(largeFile, sizes.s3LargeObjectBytes)
    await new Upload({
      client,
      params: { Bucket: bucket, Key: 'large.bin', Body: fs.createReadStream(largeFile) },
      partSize: 16 * 2 ** 20,
      queueSize: 4
    }).done()
    fs.rmSync(largeFile)
    client.destroy()

    const workspace = path.join(root, 'workspace')
    fs.mkdirSync(workspace)
    const staging = path.join(root, 'staging')
    const expect = (dir: string, files: number, bytes: number): void => {
      const found = filesUnder(dir)
      const total = found.reduce((sum, file) => sum + fs.statSync(file).size, 0)
      if (found.length !== files || total !== bytes) {
        throw new Error(`${dir} holds ${found.length} files of ${total} bytes, not ${files} of ${bytes}`)
      }
    }
    const scenario = async (
      id: string,
      title: string,
      metric: 'time' | 'throughput',
      target: number,
      key: string,
      files: number,
      bytes: number
    ): Promise<ComparisonResult> => {
      const src = `s3://${bucket}/${key}`
      return compare(
        {
          id,
          title,
          metric,
          target,
          bytes,
          actionLabel: 'stageInputs (s3)',
          baselineLabel: key.endsWith('/') ? 'sequential GET loop, same SDK' : 'one GET, same SDK',
          action: async () => {
            const sample = await nodeSideSample(
              'stage',
              { with: { inputs: `src=${src},dst=/inputs`, 's3-endpoint': endpoint }, workspace, stagingRoot: staging },
              { env: credentials }
            )
            expect(stagedPath(sample.report), files, bytes)
            return sample
          },
          baseline: async () => {
            fs.mkdirSync(staging, { recursive: true })
            const sample = await nodeSideSample(
              's3-baseline',
              { endpoint, bucket, key, dest: staging },
              { env: credentials }
            )
            expect(staging, files, bytes)
            return sample
          },
          afterEach: async () => fs.rmSync(staging, { recursive: true, force: true })
        },
        sizes.runs,
        context.log
      )
    }
    const results: ComparisonResult[] = []
    if (context.wants('s3-many')) {
      // Throughput: the same objects either way, so baseline time over action time is the speed-up.
      results.push(
        await scenario(
          's3-many',
          `S3 input: ${sizes.s3SmallObjects} objects of ${sizes.s3SmallObjectBytes / 2 ** 10} KiB`,
          'throughput',
          3,
          'many/',
          sizes.s3SmallObjects,
          sizes.s3SmallObjects * sizes.s3SmallObjectBytes
        )
      )
    }
    if (context.wants('s3-large')) {
      results.push(
        await scenario(
          's3-large',
          `S3 input: one ${sizes.s3LargeObjectBytes / 2 ** 20} MiB object`,
          'throughput',
          0.9,
          'large.bin',
          1,
          sizes.s3LargeObjectBytes
        )
      )
    }
    fs.rmSync(root, { recursive: true, force: true })
    // The objects live in radosgw's memory: stopping it frees them.
    await context.servers.stop('s3')
    return results
  }
}
