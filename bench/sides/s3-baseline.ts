import { createWriteStream } from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import type { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3'
import { input, report, timed } from './side.js'

/**
 * The S3 baselines, with the SDK the action uses and the same client
 * settings: every object under a prefix listed, then fetched one after the
 * other (`sequential`), or one object in one GET (`single`).
 */
const { endpoint, bucket, key, dest } = input<{ endpoint: string; bucket: string; key: string; dest: string }>()
const client = new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true })

async function get(objectKey: string, file: string): Promise<void> {
  const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: objectKey }))
  await pipeline(response.Body as Readable, createWriteStream(file))
}

const ms = await timed(async () => {
  if (!key.endsWith('/')) {
    await get(key, path.join(dest, path.posix.basename(key)))
    return
  }
  let token: string | undefined
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key, ContinuationToken: token }))
    for (const item of page.Contents ?? []) {
      const file = path.join(dest, item.Key!.slice(key.length))
      await fs.mkdir(path.dirname(file), { recursive: true })
      await get(item.Key!, file)
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined
  } while (token)
})
client.destroy()
report(ms)
