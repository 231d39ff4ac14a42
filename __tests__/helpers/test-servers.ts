import { S3Client } from '@aws-sdk/client-s3'

/** An address or credential the global setup exported; a test without its server fails and says so. */
export function serverEnv(name: string): string {
  const value = process.env[name]
  if (!value) throw new Error(`${name} is not set: these tests need every test server (run npm test).`)
  return value
}

/** The radosgw that the global setup started. */
export interface TestS3 {
  endpoint: string
  accessKey: string
  secretKey: string
}

export function testS3(): TestS3 {
  return {
    endpoint: serverEnv('COD_S3_ENDPOINT'),
    accessKey: serverEnv('COD_S3_ACCESS_KEY'),
    secretKey: serverEnv('COD_S3_SECRET_KEY')
  }
}

/** A client for putting the objects a test reads. */
export function seedingS3Client({ endpoint, accessKey, secretKey }: TestS3): S3Client {
  return new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: accessKey, secretAccessKey: secretKey },
    // radosgw answers 411 to the SDK's default streamed checksums.
    requestChecksumCalculation: 'WHEN_REQUIRED'
  })
}
