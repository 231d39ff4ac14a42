// Secrets never appear in anything the action writes. One run uses every
// kind of secret at once (an env value, S3 credentials, IPFS API header
// values, credentials in a URL, a registry password, the GitHub token), and
// failing runs put secrets into error paths; then everything the action wrote
// is searched for each value: the step logs, GITHUB_OUTPUT, GITHUB_STATE, the
// summary, every file it left under RUNNER_TEMP (manifest.json included), the
// artifact's files and the pull request comment.
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import { create as createKubo } from 'kubo-rpc-client'
import { startGitHubApi } from '../helpers/github-api.js'
import { artifactEntries, artifactEnv, hostileSandbox, type StepRun } from './harness.js'
import { seedingS3Client, serverEnv, testS3 } from '../helpers/test-servers.js'

const s3 = testS3()
const ipfsApi = serverEnv('COD_IPFS_API')
const secret = (kind: string) => `${kind}-${randomBytes(12).toString('hex')}`
const secrets = {
  envValue: secret('env'),
  ipfsHeader: secret('ipfs-bearer'),
  ipfsKeyHeader: secret('ipfs-key'),
  urlUser: secret('url-user'),
  urlPassword: secret('url-password'),
  urlToken: secret('url-token'),
  urlSignature: secret('url-signature'),
  registryPassword: secret('registry'),
  githubToken: secret('ghs'),
  wrongS3Secret: secret('wrong-s3')
}
/** What the action must never write, with the S3 credentials the runner holds. */
const allSecrets = { ...secrets, s3AccessKey: s3.accessKey, s3SecretKey: s3.secretKey }

const sandbox = hostileSandbox('secrets')
const bucket = `cod-hostile-secrets-${process.pid}`
let server: http.Server
let base: string
let github: Awaited<ReturnType<typeof startGitHubApi>>
let ipfsCid: string

beforeAll(async () => {
  const basic = `Basic ${Buffer.from(`${secrets.urlUser}:${secrets.urlPassword}`).toString('base64')}`
  server = http.createServer((request, response) => {
    if (request.url?.startsWith('/data.csv') && request.headers.authorization === basic) response.end('a,b\n')
    else response.writeHead(404).end('no such file')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `127.0.0.1:${(server.address() as AddressInfo).port}`
  const client = seedingS3Client(s3)
  await client.send(new CreateBucketCommand({ Bucket: bucket }))
  await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'in/x.csv', Body: 'x\n' }))
  client.destroy()
  github = await startGitHubApi()
  ipfsCid = (await createKubo({ url: ipfsApi }).add('bytes on IPFS\n')).cid.toString()
})

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()))
  await github.stop()
  sandbox.cleanup()
})

/** Every file under a folder, read whole; links are not followed. */
function filesIn(dir: string): Array<[string, Buffer]> {
  if (!fs.existsSync(dir)) return []
  const found: Array<[string, Buffer]> = []
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) found.push(...filesIn(full))
    else if (entry.isFile()) found.push([full, fs.readFileSync(full)])
  }
  return found
}

/** Where each secret turns up in what the action wrote, masking commands aside. */
function leaks(places: Array<[string, string | Buffer]>): string[] {
  const found: string[] = []
  for (const [where, content] of places) {
    // `::add-mask::VALUE` is how a value is masked: the runner never shows that line.
    const text = content.toString().replace(/^::add-mask::.*$/gm, '')
    for (const [name, value] of Object.entries(allSecrets)) if (text.includes(value)) found.push(`${name} in ${where}`)
  }
  return found
}

/** The step's own texts: main and post logs and every file command. */
function stepTexts(run: StepRun): Array<[string, string]> {
  return [
    ['the main step log', run.log],
    ['the post step log', run.postLog],
    ...Object.entries(run.fileCommands).map(([name, text]): [string, string] => [name, text])
  ]
}

const masked = (run: StepRun) => [...run.log.matchAll(/^::add-mask::(.*)$/gm)].map((match) => match[1])

describe('secrets', () => {
  it('never writes a secret: env values, S3 credentials, IPFS headers, URL credentials, registry password, token', async () => {
    const eventPath = path.join(sandbox.root, 'event.json')
    fs.writeFileSync(eventPath, JSON.stringify({ pull_request: { number: 7 } }))
    const artifact = artifactEnv()
    let temp: Array<[string, Buffer]> = []
    const runnerTemp = fs.mkdtempSync(path.join(sandbox.root, 'temp-'))
    const url = `http://${secrets.urlUser}:${secrets.urlPassword}@${base}/data.csv?token=${secrets.urlToken}&X-Amz-Signature=${secrets.urlSignature}`
    const run = await sandbox.step({
      runnerTemp,
      env: {
        ...artifact.env,
        AWS_ACCESS_KEY_ID: s3.accessKey,
        AWS_SECRET_ACCESS_KEY: s3.secretKey,
        GITHUB_API_URL: github.url,
        GITHUB_EVENT_NAME: 'pull_request',
        GITHUB_EVENT_PATH: eventPath
      },
      inputs: {
        env: `API_KEY=${secrets.envValue}`,
        inputs: [
          `src=${url},dst=/inputs/http/`,
          `s3://${bucket}/in/:/inputs/s3`,
          `ipfs://${ipfsCid}:/inputs/ipfs`
        ].join('\n'),
        's3-endpoint': s3.endpoint,
        's3-region': 'us-east-1',
        'ipfs-api': ipfsApi,
        'ipfs-api-headers': `Authorization: Bearer ${secrets.ipfsHeader}\nX-Api-Key: ${secrets.ipfsKeyHeader}`,
        'registry-username': 'someone',
        'registry-password': secrets.registryPassword,
        'github-token': secrets.githubToken,
        comment: 'on-pr',
        'artifact-name': 'results',
        car: 'true',
        // The job uses its secret, and says so, but does not print it.
        run: 'cat /inputs/http/data.csv /inputs/s3/x.csv /inputs/ipfs/*; test -n "$API_KEY" && echo has-a-key; env | cut -d= -f1 | sort > /outputs/env-names.txt'
      },
      afterMain: async () => {
        temp = filesIn(runnerTemp)
      }
    })
    expect(run.errors).toEqual([])
    expect(run.log).toContain('a,b\nx\nbytes on IPFS\nhas-a-key\n')
    const [uploaded] = await artifact.listArtifacts()
    const zipped = [...(await artifactEntries(uploaded!))].flatMap(([name, bytes]): Array<[string, Buffer]> =>
      bytes === 'dir' ? [] : [[`the artifact's ${name}`, bytes]]
    )
    expect(zipped.map(([name]) => name)).toContain("the artifact's manifest.json")
    expect(temp.some(([file]) => file.endsWith('manifest.json'))).toBe(true)
    expect(github.comments.get(7)).toHaveLength(1)
    const comments = github.comments.get(7)!.map((c, i): [string, string] => [`pull request comment ${i}`, c.body])
    expect(leaks([...stepTexts(run), ...temp, ...zipped, ...comments])).toEqual([])
    // What only the action knows to be secret, it masks before using it.
    expect(masked(run)).toEqual(
      expect.arrayContaining([
        secrets.registryPassword,
        secrets.githubToken,
        secrets.ipfsHeader,
        secrets.ipfsKeyHeader,
        secrets.urlPassword,
        secrets.urlToken,
        secrets.urlSignature
      ])
    )
  })

  it.each([
    [
      'a URL with credentials that answers 404',
      { inputs: `http://${secrets.urlUser}:${secrets.urlPassword}@BASE/missing.csv?token=${secrets.urlToken}` },
      {}
    ],
    [
      'a URL with credentials that is not a valid URL',
      { inputs: `http://${secrets.urlUser}:${secrets.urlPassword}@BASE:99999/data.csv` },
      {}
    ],
    [
      'an S3 input with a wrong secret',
      { inputs: `s3://${bucket}/in/`, 's3-endpoint': s3.endpoint, 's3-region': 'us-east-1' },
      { AWS_ACCESS_KEY_ID: s3.accessKey, AWS_SECRET_ACCESS_KEY: secrets.wrongS3Secret }
    ],
    [
      'an IPFS API that refuses the headers',
      {
        inputs: 'ipfs://QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn',
        'ipfs-api': 'http://BASE',
        'ipfs-api-headers': `Authorization: Bearer ${secrets.ipfsHeader}`
      },
      {}
    ]
  ])('never writes a secret when a step fails on %s', async (_title, inputs, extraEnv) => {
    const withBase = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, v.replaceAll('BASE', base)]))
    const run = await sandbox.step({ env: extraEnv, inputs: { ...withBase, command: 'true' } })
    expect(run.exitCode).toBe(1)
    expect(run.errors).toHaveLength(1)
    expect(leaks([...stepTexts(run), ...filesIn(run.runnerTemp)])).toEqual([])
  })
})
