// Hostile and bad inputs, one table row each: what the user wrote, the one
// line they must get back (naming the input and the problem), and proof
// that nothing was left: no container labelled with the step's run, no file
// under RUNNER_TEMP after main or after post, no output claimed. Every row
// runs the built bundle as the runner does.
import fs from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import { create as createKubo } from 'kubo-rpc-client'
import { ARM64_IMAGE } from '../servers/images.js'
import { expectNoOutputs, expectNothingLeft, expectOneClearError, hostileSandbox, type StepRun } from './harness.js'
import { seedingS3Client, serverEnv, testS3 } from '../helpers/test-servers.js'

/** Where the real servers are, known once beforeAll has seeded them. */
interface Servers {
  http: string
  ipfsApi: string
  ipfsGateway: string
  /** A folder on the IPFS node holding a.txt only. */
  dirCid: string
  s3: { endpoint: string; bucket: string; accessKey: string; secretKey: string }
}

interface Row {
  /** What is hostile about the input; the test is named "refuses <title>". */
  title: string
  with: (s: Servers) => Record<string, string>
  env?: (s: Servers) => Record<string, string>
  /** The one line the user must see. */
  error: (s: Servers) => RegExp
  /** A check of its own, e.g. that the user's files are intact. */
  also?: (run: StepRun) => void
}

const esc = (text: string): string => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
const CID = 'QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn'
const inputs = (line: string) => () => ({ inputs: line, command: 'true' })
const input = (name: string, value: string) => () => ({ [name]: value, command: 'true' })
const fixed = (pattern: RegExp) => () => pattern
/** `Input 'inputs': … "<line>" …`: the message quotes the line the user wrote. */
const aboutLine = (line: string, problem: string) => () => new RegExp(`^Input 'inputs': .*"${esc(line)}".*${problem}`)
const s3Env = (s: Servers) => ({ AWS_ACCESS_KEY_ID: s.s3.accessKey, AWS_SECRET_ACCESS_KEY: s.s3.secretKey })
const withS3 = (line: (s: Servers) => string) => (s: Servers) => ({
  inputs: line(s),
  's3-endpoint': s.s3.endpoint,
  's3-region': 'us-east-1',
  command: 'true'
})

const rows: Row[] = [
  // Malformed sources
  { title: 'ipfs:// with no CID', with: inputs('ipfs://'), error: aboutLine('ipfs://', 'is not a valid CID') },
  {
    title: 'ipfs:// with a bad CID',
    with: inputs('ipfs://QmNotACid'),
    error: fixed(/^Input 'inputs': "QmNotACid" in "ipfs:\/\/QmNotACid" is not a valid CID\.$/)
  },
  {
    title: 'an ipfs:// path with ..',
    with: inputs(`ipfs://${CID}/../etc`),
    error: aboutLine(`ipfs://${CID}/../etc`, 'must not contain "\\." or "\\.\\."')
  },
  { title: 'https:// with no host', with: inputs('https://'), error: aboutLine('https://', 'is not a valid URL') },
  {
    title: 'an http URL with a space in the host',
    with: inputs('http://exa mple.com/f.csv'),
    error: aboutLine('http://exa mple.com/f.csv', 'is not a valid URL')
  },
  {
    title: 'an http URL with a port out of range',
    with: inputs('src=http://example.com:99999/f.csv,dst=/in'),
    error: aboutLine('src=http://example.com:99999/f.csv,dst=/in', 'is not a valid URL')
  },
  { title: 's3:// with no bucket', with: inputs('s3://'), error: aboutLine('s3://', 'not a valid S3 bucket name') },
  {
    title: 'an s3:// bucket name with capitals and _',
    with: inputs('s3://My_Bucket/key.csv'),
    error: aboutLine('s3://My_Bucket/key.csv', 'not a valid S3 bucket name')
  },
  {
    title: 'an s3:// key with a * in the middle',
    with: inputs('s3://bucket/a*b.csv'),
    error: aboutLine('s3://bucket/a*b.csv', 'only a trailing \\* is allowed')
  },
  {
    title: 'the unknown scheme ftp://',
    with: inputs('ftp://example.com/f.csv'),
    error: fixed(/^Input 'inputs': unknown scheme "ftp:\/\/" in "ftp:\/\/example\.com\/f\.csv"; use ipfs:\/\//)
  },
  {
    title: 'the unknown scheme file://',
    with: inputs('file:///etc/passwd'),
    error: fixed(/^Input 'inputs': unknown scheme "file:\/\/" in "file:\/\/\/etc\/passwd"; use ipfs:\/\//)
  },
  {
    title: 'a CID subpath that does not exist (IPFS node)',
    with: (s) => ({ inputs: `ipfs://${s.dirCid}/missing.txt`, 'ipfs-api': s.ipfsApi, command: 'true' }),
    error: (s) => new RegExp(`^Input 'ipfs://${s.dirCid}/missing\\.txt': the path "missing\\.txt" does not exist`)
  },
  {
    title: 'a CID subpath that does not exist (gateway)',
    with: (s) => ({ inputs: `ipfs://${s.dirCid}/missing.txt`, 'ipfs-gateway': s.ipfsGateway, command: 'true' }),
    error: (s) => new RegExp(`^Input 'ipfs://${s.dirCid}/missing\\.txt': the path "missing\\.txt" does not exist`)
  },
  {
    title: 'an http host that does not resolve',
    with: inputs('https://no-such-host.invalid/data.csv'),
    error: fixed(/^Input 'https:\/\/no-such-host\.invalid\/data\.csv': the host name does not resolve\.$/)
  },
  {
    title: 'an IPFS API host that does not resolve',
    with: () => ({ inputs: `ipfs://${CID}`, 'ipfs-api': 'http://no-such-node.invalid:5001', command: 'true' }),
    error: fixed(
      new RegExp(
        `^Input 'ipfs://${CID}': http://no-such-node\\.invalid:5001 dag/export did not send a CAR: fetch failed: getaddrinfo ENOTFOUND no-such-node\\.invalid`
      )
    )
  },
  {
    title: 'an S3 endpoint that does not resolve',
    with: () => ({ inputs: 's3://bucket/key.csv', 's3-endpoint': 'http://no-such-s3.invalid:7480', command: 'true' }),
    env: s3Env,
    error: fixed(/^Input 's3:\/\/bucket\/key\.csv': cannot reach the S3 endpoint http:\/\/no-such-s3\.invalid:7480/)
  },

  // URL errors
  {
    title: 'a URL that answers 404',
    with: (s) => ({ inputs: `${s.http}/missing.csv`, command: 'true' }),
    error: (s) => new RegExp(`^Input '${esc(s.http)}/missing\\.csv': the server answered 404 Not Found\\.$`)
  },
  {
    title: 'a URL that redirects to ftp://',
    with: (s) => ({ inputs: `${s.http}/to-ftp`, command: 'true' }),
    error: (s) => new RegExp(`^Input '${esc(s.http)}/to-ftp': the server redirected to ftp: URL, which is not HTTP\\.$`)
  },
  {
    title: 'a URL larger than max-input-size',
    with: (s) => ({ inputs: `${s.http}/big.bin`, 'max-input-size': '1Ki', command: 'true' }),
    error: (s) => new RegExp(`^Input '${esc(s.http)}/big\\.bin': it is 10\\.0 KiB, over the 1\\.0 KiB limit`)
  },
  {
    title: 'a URL whose bytes do not match opt=checksum-256',
    with: (s) => ({ inputs: `src=${s.http}/big.bin,dst=/in,opt=checksum-256=${'0'.repeat(64)}`, command: 'true' }),
    error: (s) => new RegExp(`^Input '${esc(s.http)}/big\\.bin': checksum mismatch: .*the download was deleted\\.$`)
  },

  // S3 errors, against radosgw
  {
    title: 'a missing S3 bucket',
    with: withS3(() => 's3://cod-no-such-bucket/key.csv'),
    env: s3Env,
    error: fixed(/^Input 's3:\/\/cod-no-such-bucket\/key\.csv': the bucket "cod-no-such-bucket" does not exist at /)
  },
  {
    title: 'a missing S3 key',
    with: withS3((s) => `s3://${s.s3.bucket}/nope.csv`),
    env: s3Env,
    error: (s) => new RegExp(`^Input 's3://${s.s3.bucket}/nope\\.csv': no object "nope\\.csv" in bucket`)
  },
  {
    title: 'an empty S3 prefix',
    with: withS3((s) => `s3://${s.s3.bucket}/empty/`),
    env: s3Env,
    error: (s) => new RegExp(`^Input 's3://${s.s3.bucket}/empty/': no objects under this prefix`)
  },
  {
    title: 'a bad regex in opt=filter',
    with: inputs('src=s3://bucket/data/,dst=/data,opt=filter=([a-z'),
    error: fixed(/^Input 'inputs': opt=filter "\(\[a-z" in ".*" is not a valid regular expression/)
  },
  {
    title: 'an opt=filter that matches nothing',
    with: withS3((s) => `src=s3://${s.s3.bucket}/data/,dst=/data,opt=filter=\\.parquet$`),
    env: s3Env,
    error: (s) =>
      new RegExp(`^Input 's3://${s.s3.bucket}/data/': none of the 2 objects under the prefix matches the filter`)
  },
  {
    title: 'a wrong S3 secret',
    with: withS3((s) => `s3://${s.s3.bucket}/data/a.csv`),
    env: (s) => ({ AWS_ACCESS_KEY_ID: s.s3.accessKey, AWS_SECRET_ACCESS_KEY: 'not-the-secret-0123456789' }),
    error: (s) =>
      new RegExp(
        `^Input 's3://${s.s3.bucket}/data/a\\.csv': the S3 server refused the credentials \\(SignatureDoesNotMatch\\)`
      ),
    also: (run) => expect(run.log).not.toContain('not-the-secret-0123456789')
  },
  {
    title: 'opt=versionID on an S3 prefix',
    with: inputs('src=s3://bucket/data/,dst=/data,opt=versionID=abc'),
    error: fixed(/^Input 'inputs': opt=versionID in ".*" applies to a single object, not a prefix\.$/)
  },

  // Targets
  {
    title: 'a relative target (short form)',
    with: inputs('data:inputs'),
    error: aboutLine('data:inputs', 'must be an absolute path')
  },
  {
    title: 'a relative target (key form)',
    with: inputs('src=data,dst=inputs'),
    error: aboutLine('src=data,dst=inputs', 'must be an absolute path')
  },
  { title: '.. in a target', with: inputs('data:/inputs/../etc'), error: aboutLine('data:/inputs/../etc', '"\\.\\."') },
  {
    title: 'two inputs with one target',
    with: inputs('data:/in\nother:/in'),
    error: fixed(/^Input 'inputs': "other:\/in" and "data:\/in" both target \/in/)
  },
  {
    title: 'one input target inside another',
    with: inputs('data:/in\nother:/in/sub'),
    error: fixed(/^Input 'inputs': targets of "other:\/in\/sub" and "data:\/in" are nested/)
  },
  {
    title: 'an input target on an output path',
    with: inputs('data:/outputs'),
    error: fixed(/^Input 'inputs': the target of "data:\/outputs" overlaps output "outputs" \(\/outputs\)\.$/)
  },
  ...['/', '/proc', '/dev/shm', '/sys/fs', '/etc'].map((target): Row => ({
    title: `the reserved target ${target}`,
    with: inputs(`data:${target}`),
    error: fixed(
      new RegExp(`^Input 'inputs': target of "data:${esc(target)}" "${esc(target)}" is a reserved system path`)
    )
  })),

  // Outputs
  {
    title: 'an output name with /',
    with: input('outputs', 'a/b:/out'),
    error: fixed(/^Input 'outputs': "a\/b" is not a simple name/)
  },
  {
    title: 'the output name ..',
    with: input('outputs', '..:/out'),
    error: fixed(/^Input 'outputs': "\.\." is not a simple name/)
  },
  {
    title: 'duplicate output names',
    with: input('outputs', 'out:/a\nout:/b'),
    error: fixed(/^Input 'outputs': the name "out" is used twice\.$/)
  },
  {
    title: 'an output named stdout',
    with: input('outputs', 'stdout:/out'),
    error: fixed(/^Input 'outputs': "stdout" is reserved for the results folder's own stdout file/)
  },
  {
    title: 'a relative output path',
    with: input('outputs', 'out:relative'),
    error: fixed(/^Input 'outputs': path of output "out" "relative" must be an absolute path/)
  },
  {
    title: 'an output line with no path',
    with: input('outputs', 'results'),
    error: fixed(/^Input 'outputs': "results" is not NAME:\/PATH/)
  },
  {
    title: 'nested output paths',
    with: input('outputs', 'a:/out\nb:/out/sub'),
    error: fixed(/^Input 'outputs': "\/out\/sub" overlaps the path of output "a" \(\/out\)\.$/)
  },
  {
    title: 'an output on /etc',
    with: input('outputs', 'cfg:/etc'),
    error: fixed(/^Input 'outputs': path of output "cfg" "\/etc" is a reserved system path/)
  },

  // Environment
  {
    title: 'an empty env name',
    with: input('env', '=value'),
    error: fixed(/^Input 'env': "" is not a valid variable name/)
  },
  {
    title: 'an env line whose name would hold =',
    with: input('env', '=FOO=bar'),
    error: fixed(/^Input 'env': "" is not a valid variable name/)
  },
  {
    title: 'an env name with a space',
    with: input('env', 'MY VAR=1'),
    error: fixed(/^Input 'env': "MY VAR" is not a valid variable name/)
  },
  {
    title: 'an env name starting with a digit',
    with: input('env', '1ST=1'),
    error: fixed(/^Input 'env': "1ST" is not a valid variable name/)
  },
  {
    title: 'an env line with no =',
    with: input('env', 'JUST_A_NAME'),
    error: fixed(/^Input 'env': line "JUST_A_NAME" has no "="; write NAME=VALUE\.$/)
  },
  { title: 'an env name set twice', with: input('env', 'A=1\nA=2'), error: fixed(/^Input 'env': "A" is set twice\.$/) },

  // Workspace paths
  {
    title: 'a workspace path that leaves by ..',
    with: inputs('../outside'),
    error: fixed(/^Input 'inputs': "\.\.\/outside" is outside the workspace/)
  },
  {
    title: 'an absolute path outside the workspace',
    with: inputs('/etc/passwd:/in/'),
    error: fixed(/^Input 'inputs': "\/etc\/passwd" is outside the workspace/)
  },
  {
    title: 'a workspace symlink to a folder outside',
    with: inputs('escape-dir'),
    error: fixed(/^Input 'escape-dir': it resolves through a symlink to a path outside GITHUB_WORKSPACE/)
  },
  {
    title: 'a workspace symlink to a file outside',
    with: inputs('escape-file.txt:/in/'),
    error: fixed(/^Input 'escape-file\.txt': it resolves through a symlink to a path outside GITHUB_WORKSPACE/)
  },
  {
    title: 'a workspace path that does not exist',
    with: inputs('no-such-dir'),
    error: fixed(/^Input 'no-such-dir': no such file or folder in the workspace\.$/)
  },

  // Values
  ...(
    [
      ['cpu', '-1', /is not a CPU amount/],
      ['cpu', '0', /must be more than zero/],
      ['cpu', 'fast', /is not a CPU amount/],
      ['cpu', '100000', /is more than 1024 cores; check the unit/],
      ['memory', '-512Mi', /is not a size/],
      ['memory', '0', /must be more than zero/],
      ['memory', 'lots', /is not a size/],
      ['memory', '100Ti', /is more than 16Ti; check the unit/],
      ['memory', '1k', /is below Docker's minimum of 6Mi/],
      ['timeout', '-5', /is not a duration/],
      ['timeout', '0', /must be more than zero/],
      ['timeout', 'soon', /is not a duration/],
      ['timeout', '1000h', /is more than 7 days; check the unit/],
      ['gpu', '-1', /is not a GPU count/]
    ] as const
  ).map(([name, value, problem]): Row => ({
    title: `${name}: ${value}`,
    with: input(name, value),
    error: fixed(new RegExp(`^Input '${name}': "${esc(value)}" ${problem.source}`))
  })),

  // Commands
  {
    title: 'a command with an unbalanced double quote',
    with: () => ({ command: 'echo "hi' }),
    error: fixed(/^Input 'command': cannot split "echo "hi" into words: .*check the quotes\.$/)
  },
  {
    title: 'a command with an unbalanced single quote',
    with: () => ({ command: "echo 'hi" }),
    error: fixed(/^Input 'command': cannot split "echo 'hi" into words: .*check the quotes\.$/)
  },
  {
    title: 'both command and run',
    with: () => ({ command: 'echo a', run: 'echo b' }),
    error: fixed(/^Input 'run': cannot be used together with 'command'/)
  },
  {
    title: 'a shell operator in an exec-form command',
    with: () => ({ command: 'echo a && rm -rf /outputs' }),
    error: fixed(/^Input 'command': "&&" is a shell operator, but 'command' runs without a shell/)
  },
  {
    title: 'an entrypoint with an unbalanced quote',
    with: () => ({ entrypoint: 'sh "-c', command: 'true' }),
    error: fixed(/^Input 'entrypoint': cannot split "sh "-c" into words/)
  },

  // Images
  { title: 'an empty image', with: input('image', ''), error: fixed(/^Input 'image': is required/) },
  {
    title: 'an image reference in upper case',
    with: input('image', 'Busybox/Latest'),
    error: fixed(/^Input 'image': "Busybox\/Latest" is not a valid image reference/)
  },
  {
    title: 'an image reference with an empty tag',
    with: input('image', 'busybox:'),
    error: fixed(/^Input 'image': "busybox:" is not a valid image reference/)
  },
  {
    title: 'an image reference with a short digest',
    with: input('image', 'busybox@sha256:1234'),
    error: fixed(/^Input 'image': "busybox@sha256:1234" is not a valid image reference/)
  },
  {
    title: 'an image that is not on the runner, with pull: never',
    with: input('image', 'cod-test/not-here:1'),
    error: fixed(/^Input 'image': cod-test\/not-here:1 is not on the runner and pull is 'never'/)
  },
  {
    title: 'an image built for arm64',
    with: input('image', ARM64_IMAGE),
    error: fixed(
      new RegExp(
        `^Input 'image': ${esc(ARM64_IMAGE)} is built for linux/arm64, but this runner's Docker engine runs linux/amd64\\. Rebuild`
      )
    )
  },

  // Other settings
  {
    title: "a results-dir that holds the user's files",
    with: input('results-dir', 'occupied'),
    error: fixed(/^Input 'results-dir': .*occupied is not empty; name a new or empty folder/),
    also: (run) => {
      expect(run.exitCode).toBe(1)
      expect(fs.readFileSync(path.join(sandbox.workspace, 'occupied', 'mine.txt'), 'utf8')).toBe(
        'the user wrote this\n'
      )
    }
  },
  {
    title: 'network: bridge',
    with: input('network', 'bridge'),
    error: fixed(/^Input 'network': "bridge" is not one of none, full\.$/)
  },
  {
    title: 'pull: sometimes',
    with: input('pull', 'sometimes'),
    error: fixed(/^Input 'pull': "sometimes" is not one of always, missing, never\.$/)
  },
  {
    title: 'platform: amd64',
    with: input('platform', 'amd64'),
    error: fixed(/^Input 'platform': "amd64" is not OS\/ARCH/)
  },
  {
    title: 'a registry password without a user name',
    with: input('registry-password', 'hunter2-registry-secret'),
    error: fixed(/^Input 'registry-username': is required when 'registry-password' is set\.$/),
    also: (run) => expect(run.log.replace(/^::add-mask::.*$/gm, '')).not.toContain('hunter2-registry-secret')
  },
  {
    title: 'an artifact name with /',
    with: input('artifact-name', 'a/b'),
    error: fixed(/^Input 'artifact-name': "a\/b" contains a character artifacts cannot have/)
  },
  {
    title: 'retention-days: 91',
    with: input('retention-days', '91'),
    error: fixed(/^Input 'retention-days': "91" must be a whole number from 1 to 90\.$/)
  },
  {
    title: 'an ipfs-api that is not http(s)',
    with: input('ipfs-api', 'ftp://127.0.0.1:5001'),
    error: fixed(/^Input 'ipfs-api': "ftp:\/\/127\.0\.0\.1:5001" must be an http:\/\/ or https:\/\/ URL\.$/)
  },
  {
    title: 'an ipfs-api-headers line with no colon',
    with: input('ipfs-api-headers', 'Authorization Bearer header-secret-value'),
    error: fixed(/^Input 'ipfs-api-headers': a line has no ":"; write Name: value/),
    also: (run) => expect(run.log).not.toContain('header-secret-value')
  },
  {
    title: 'cid-version: 2',
    with: input('cid-version', '2'),
    error: fixed(/^Input 'cid-version': "2" is not one of 0, 1\.$/)
  },
  {
    title: 'fail-on-exit-code: yes',
    with: input('fail-on-exit-code', 'yes'),
    error: fixed(/^Input 'fail-on-exit-code': "yes" is not true or false\.$/)
  },
  {
    title: 'a user with shell syntax',
    with: input('user', 'root; rm -rf /'),
    error: fixed(/^Input 'user': "root; rm -rf \/" is not UID\[:GID\] or NAME\[:GROUP\]\.$/)
  },
  {
    title: 'a relative workdir',
    with: input('workdir', 'relative/dir'),
    error: fixed(/^Input 'workdir': "relative\/dir" must be an absolute path/)
  },
  {
    title: 'an unknown input option',
    with: inputs('src=data,dst=/in,opt=foo=bar'),
    error: fixed(/^Input 'inputs': unknown option "foo" in "src=data,dst=\/in,opt=foo=bar"/)
  },
  {
    title: 'an S3 option on a workspace input',
    with: inputs('src=data,dst=/in,opt=region=us-east-1'),
    error: fixed(/^Input 'inputs': option "region" does not apply to workspace inputs/)
  }
]

const sandbox = hostileSandbox('inputs')
let httpServer: http.Server
let servers: Servers
const runs = new Map<string, StepRun>()

/** Runs every row, a few at a time: the rows only check what happened. */
async function runAll(): Promise<void> {
  const pending = [...rows]
  const worker = async (): Promise<void> => {
    for (let row = pending.shift(); row; row = pending.shift()) {
      runs.set(row.title, await sandbox.step({ inputs: row.with(servers), env: row.env?.(servers) }))
    }
  }
  await Promise.all(Array.from({ length: 3 }, worker))
}

beforeAll(async () => {
  const { workspace } = sandbox
  fs.mkdirSync(path.join(workspace, 'data'))
  fs.writeFileSync(path.join(workspace, 'data', 'in.txt'), 'input\n')
  fs.mkdirSync(path.join(workspace, 'occupied'))
  fs.writeFileSync(path.join(workspace, 'occupied', 'mine.txt'), 'the user wrote this\n')
  fs.symlinkSync('/etc', path.join(workspace, 'escape-dir'))
  fs.symlinkSync('/etc/hostname', path.join(workspace, 'escape-file.txt'))

  const big = Buffer.alloc(10 * 1024, 'x')
  httpServer = http.createServer((request, response) => {
    if (request.url === '/big.bin') response.end(big)
    else if (request.url === '/listing/') {
      response
        .writeHead(200, { 'content-type': 'text/html' })
        .end('<html><body><a href="a.csv">a.csv</a></body></html>\n')
    } else if (request.url === '/to-ftp') response.writeHead(302, { location: 'ftp://example.com/f.csv' }).end()
    else response.writeHead(404).end('not here')
  })
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve))

  const ipfsApi = serverEnv('COD_IPFS_API')
  let dirCid = ''
  for await (const entry of createKubo({ url: ipfsApi }).addAll(
    [{ path: '/dir' }, { path: '/dir/a.txt', content: new TextEncoder().encode('a\n') }],
    { cidVersion: 0 }
  )) {
    if (entry.path === 'dir') dirCid = entry.cid.toString()
  }

  const s3 = { ...testS3(), bucket: `cod-hostile-${process.pid}` }
  const client = seedingS3Client(s3)
  await client.send(new CreateBucketCommand({ Bucket: s3.bucket }))
  for (const key of ['data/a.csv', 'data/b.csv']) {
    await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: 'x,y\n' }))
  }
  client.destroy()

  servers = {
    http: `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`,
    ipfsApi,
    ipfsGateway: serverEnv('COD_IPFS_GATEWAY'),
    dirCid,
    s3
  }
  await runAll()
}, 300_000)

afterAll(async () => {
  await new Promise<void>((resolve) => httpServer?.close(() => resolve()))
  sandbox.cleanup()
})

describe('hostile inputs', () => {
  it('has at least 50 rows', () => expect(rows.length).toBeGreaterThanOrEqual(50))

  it.each(rows.map((row) => [row.title, row] as const))('refuses %s', (_title, row) => {
    const run = runs.get(row.title)!
    expectOneClearError(run, row.error(servers))
    expectNoOutputs(run)
    expectNothingLeft(run)
    expect(run.postExitCode).toBe(0)
    row.also?.(run)
  })

  it('handles a URL that serves an HTML directory listing: one file, as the README says, not a folder', async () => {
    const run = await sandbox.step({
      inputs: { inputs: `${servers.http}/listing/`, run: 'ls /inputs; cat /inputs/listing' }
    })
    expect(run.errors).toEqual([])
    expect(run.log).toContain('listing\n<html><body><a href="a.csv">a.csv</a></body></html>\n')
    expect(run.afterPost).toEqual({ containers: [], tempFiles: [] })
  })
})
