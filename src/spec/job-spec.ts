import path from 'node:path'
import { parseWords } from './command.js'
import { InputError } from './errors.js'
import { parseImage, type ImageRef } from './image.js'
import { parseInputLine, type InputSpec } from './input-uri.js'
import { checkContainerPath, isSameOrInside } from './paths.js'
import { parseCpu, parseDuration, parseMemory, parseSize } from './units.js'

export { InputError } from './errors.js'
export type { InputSource, InputSpec } from './input-uri.js'
export type { ImageRef } from './image.js'

export type CommentMode = 'off' | 'on-pr' | 'update'

export type PullPolicy = 'always' | 'missing' | 'never'
export type NetworkMode = 'none' | 'full'

export interface OutputVolume {
  /** The folder's name in the results folder. */
  name: string
  /** Where the container sees it. */
  path: string
}

/** Action-level settings the input sources share. */
export interface SourceSettings {
  /** Kubo RPC endpoint for `ipfs://` inputs, e.g. http://127.0.0.1:5001. */
  ipfsApi?: string
  /** `ipfs-api-headers`, sent to `ipfsApi` for inputs as for publishing. */
  ipfsApiHeaders?: Array<[name: string, value: string]>
  /** Trustless gateway used for `ipfs://` inputs when `ipfsApi` is not set. */
  ipfsGateway: string
  s3Endpoint?: string
  s3Region?: string
  /** Refuse an input larger than this many bytes. */
  maxInputBytes?: number
}

export interface IpfsPublishSettings {
  /** Kubo RPC endpoint; without it the CID is still computed offline. */
  api?: string
  /** Extra HTTP headers for pinning services that speak the Kubo RPC; values are secrets. */
  headers: Array<[name: string, value: string]>
  cidVersion: 0 | 1
  pin: boolean
  includeHidden: boolean
  /** Also write the DAG as a CARv1 file beside the results. */
  car: boolean
  gatewayUrl: string
}

export interface ArtifactPublishSettings {
  /** Unset when the artifact is disabled (empty `artifact-name`). */
  name?: string
  retentionDays?: number
  compressionLevel?: number
  overwrite: boolean
}

/** Everything the action will do, validated; nothing here touches the disk. */
export interface JobSpec {
  runId: string
  image: ImageRef
  pull: PullPolicy
  /** False when `pull` was left to its default, so a failed pull may fall back to a local image. */
  pullExplicit: boolean
  /** OS/ARCH to pull and run; the engine's own when unset. */
  platform?: string
  /** Credentials for the image's registry; the password is a secret. */
  registryAuth?: { username: string; password: string }
  /** Overrides the image's ENTRYPOINT when set. */
  entrypoint?: string[]
  /** Docker's Cmd; when unset the image's CMD runs. */
  command?: string[]
  env: Array<[name: string, value: string]>
  workdir?: string
  inputs: InputSpec[]
  outputs: OutputVolume[]
  network: NetworkMode
  nanoCpus?: number
  memoryBytes?: number
  gpus: number
  timeoutMs?: number
  user: string
  resultsDir: string
  /** True when the action chose `resultsDir` and so may delete it in the post step. */
  resultsDirIsOurs: boolean
  /** The folder for this run's staged inputs and other scratch files. */
  workDir: string
  /** GITHUB_WORKSPACE: workspace inputs are resolved and confined here. */
  workspace: string
  failOnExitCode: boolean
  sources: SourceSettings
  ipfs: IpfsPublishSettings
  artifact: ArtifactPublishSettings
  comment: { mode: CommentMode; token?: string }
}

/** What the spec needs from the runner, passed in so that parsing stays pure. */
export interface RunnerContext {
  workspace: string
  runnerTemp: string
  uid: number
  gid: number
  runId: string
}

export type ReadInput = (name: string) => string

export const RESULT_FILES = ['stdout', 'stderr', 'exitCode'] as const

const DEFAULT_IPFS_GATEWAY = 'https://trustless-gateway.link'
const DEFAULT_GATEWAY_URL = 'https://ipfs.io'

/**
 * Reads every action input through `read` (core.getInput in the action) and
 * returns one validated spec, or throws an InputError naming the input.
 */
export function parseJobSpec(read: ReadInput, context: RunnerContext): JobSpec {
  const get = (name: string): string => read(name).trim()
  const flag = (name: string, fallback: boolean): boolean => (get(name) ? parseBoolean(name, get(name)) : fallback)
  const image = parseImage('image', get('image'))
  const { entrypoint, command } = parseProcess(get)
  const outputs = parseOutputs(get('outputs'))
  const inputs = parseInputs(get('inputs'), context.workspace, outputs)
  const workDir = path.join(context.runnerTemp, 'compute-over-data', context.runId)
  const pull = get('pull')
  const { resultsDir, resultsDirIsOurs } = parseResultsDir(get('results-dir'), context, workDir)
  return {
    runId: context.runId,
    image,
    pull: pull ? oneOf('pull', pull, ['always', 'missing', 'never'] as const) : image.digest ? 'missing' : 'always',
    pullExplicit: pull !== '',
    platform: get('platform') ? parsePlatform(get('platform')) : undefined,
    registryAuth: parseRegistryAuth(get('registry-username'), get('registry-password')),
    entrypoint,
    command,
    env: parseEnv(read('env')),
    workdir: get('workdir') ? parseWorkdir(get('workdir')) : undefined,
    inputs,
    outputs,
    network: get('network') ? oneOf('network', get('network').toLowerCase(), ['none', 'full'] as const) : 'none',
    nanoCpus: get('cpu') ? parseCpu('cpu', get('cpu')) : undefined,
    memoryBytes: get('memory') ? parseMemory('memory', get('memory')) : undefined,
    gpus: get('gpu') ? parseGpu(get('gpu')) : 0,
    timeoutMs: get('timeout') ? parseDuration('timeout', get('timeout')) : undefined,
    user: get('user') ? parseUser(get('user')) : `${context.uid}:${context.gid}`,
    resultsDir,
    resultsDirIsOurs,
    workDir,
    workspace: context.workspace,
    failOnExitCode: flag('fail-on-exit-code', true),
    sources: {
      ipfsApi: optionalUrl('ipfs-api', get('ipfs-api')),
      ipfsApiHeaders: parseHeaders(read('ipfs-api-headers')),
      ipfsGateway: optionalUrl('ipfs-gateway', get('ipfs-gateway')) ?? DEFAULT_IPFS_GATEWAY,
      s3Endpoint: optionalUrl('s3-endpoint', get('s3-endpoint')),
      s3Region: get('s3-region') || undefined,
      maxInputBytes: get('max-input-size') ? parseSize('max-input-size', get('max-input-size')) : undefined
    },
    ipfs: {
      api: optionalUrl('ipfs-api', get('ipfs-api')),
      headers: parseHeaders(read('ipfs-api-headers')),
      cidVersion: get('cid-version')
        ? oneOf('cid-version', get('cid-version'), ['0', '1'] as const) === '1'
          ? 1
          : 0
        : 0,
      pin: flag('pin', true),
      includeHidden: flag('ipfs-include-hidden', true),
      car: flag('car', false),
      gatewayUrl: optionalUrl('ipfs-gateway-url', get('ipfs-gateway-url')) ?? DEFAULT_GATEWAY_URL
    },
    artifact: {
      name: parseArtifactName(read('artifact-name')),
      retentionDays: get('retention-days') ? parseInteger('retention-days', get('retention-days'), 1, 90) : undefined,
      compressionLevel: get('compression-level')
        ? parseInteger('compression-level', get('compression-level'), 0, 9)
        : undefined,
      overwrite: flag('artifact-overwrite', false)
    },
    comment: {
      mode: get('comment') ? oneOf('comment', get('comment'), ['off', 'on-pr', 'update'] as const) : 'off',
      token: get('github-token') || undefined
    }
  }
}

function parseProcess(get: ReadInput): { entrypoint?: string[]; command?: string[] } {
  const command = get('command')
  const script = get('run')
  const entrypoint = get('entrypoint') ? parseWords('entrypoint', get('entrypoint')) : undefined
  if (command && script) {
    throw new InputError(
      'run',
      "cannot be used together with 'command'; use 'command' for an exec form or 'run' for a shell script, not both."
    )
  }
  if (script) {
    // The entrypoint, when given, names the shell that runs the script.
    return { entrypoint: [...(entrypoint ?? ['sh']), '-c'], command: [script] }
  }
  return { entrypoint, command: command ? parseWords('command', command) : undefined }
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

function parseEnv(value: string): Array<[string, string]> {
  const seen = new Set<string>()
  const env: Array<[string, string]> = []
  for (const line of lines(value)) {
    const eq = line.indexOf('=')
    if (eq < 0) throw new InputError('env', `line "${line}" has no "="; write NAME=VALUE.`)
    const name = line.slice(0, eq).trim()
    if (!ENV_NAME.test(name)) {
      throw new InputError(
        'env',
        `"${name}" is not a valid variable name; use letters, digits and _, not starting with a digit.`
      )
    }
    if (seen.has(name)) throw new InputError('env', `"${name}" is set twice.`)
    seen.add(name)
    env.push([name, line.slice(eq + 1)])
  }
  return env
}

const OUTPUT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/
const DEFAULT_OUTPUTS = 'outputs:/outputs'

function parseOutputs(value: string): OutputVolume[] {
  const outputs: OutputVolume[] = []
  for (const line of lines(value || DEFAULT_OUTPUTS)) {
    const colon = line.indexOf(':')
    if (colon < 0) throw new InputError('outputs', `"${line}" is not NAME:/PATH, e.g. outputs:/outputs.`)
    const name = line.slice(0, colon).trim()
    const containerPath = checkContainerPath('outputs', line.slice(colon + 1).trim(), `path of output "${name}"`)
    if (!OUTPUT_NAME.test(name) || name.includes('..')) {
      throw new InputError(
        'outputs',
        `"${name}" is not a simple name; use letters, digits, ".", "_" and "-" (no "/" or "..").`
      )
    }
    if ((RESULT_FILES as readonly string[]).includes(name)) {
      throw new InputError(
        'outputs',
        `"${name}" is reserved for the results folder's own ${name} file; choose another name.`
      )
    }
    for (const other of outputs) {
      if (other.name === name) throw new InputError('outputs', `the name "${name}" is used twice.`)
      if (isSameOrInside(containerPath, other.path) || isSameOrInside(other.path, containerPath)) {
        throw new InputError(
          'outputs',
          `"${containerPath}" overlaps the path of output "${other.name}" (${other.path}).`
        )
      }
    }
    outputs.push({ name, path: containerPath })
  }
  return outputs
}

function parseInputs(value: string, workspace: string, outputs: OutputVolume[]): InputSpec[] {
  const inputs: InputSpec[] = []
  for (const line of lines(value)) {
    const input = parseInputLine(line, workspace)
    for (const other of inputs) {
      if (other.target === input.target) {
        throw new InputError(
          'inputs',
          `"${input.line}" and "${other.line}" both target ${input.target}; give each its own target, e.g. ${input.target}/a.`
        )
      }
      if (isSameOrInside(input.target, other.target) || isSameOrInside(other.target, input.target)) {
        throw new InputError(
          'inputs',
          `targets of "${input.line}" and "${other.line}" are nested; inputs may share a parent folder but not sit inside each other.`
        )
      }
    }
    for (const output of outputs) {
      if (isSameOrInside(input.target, output.path) || isSameOrInside(output.path, input.target)) {
        throw new InputError(
          'inputs',
          `the target of "${input.line}" overlaps output "${output.name}" (${output.path}).`
        )
      }
    }
    inputs.push(input)
  }
  return inputs
}

function parseWorkdir(value: string): string {
  if (!value.startsWith('/')) throw new InputError('workdir', `"${value}" must be an absolute path such as /work.`)
  return path.posix.normalize(value)
}

function parseGpu(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 64) {
    throw new InputError('gpu', `"${value}" is not a GPU count; write a whole number such as 1 (0 for none).`)
  }
  return Number(value)
}

const USER = /^([a-z_][a-z0-9_-]*|\d+)(:([a-z_][a-z0-9_-]*|\d+))?$/

function parseUser(value: string): string {
  if (!USER.test(value)) throw new InputError('user', `"${value}" is not UID[:GID] or NAME[:GROUP].`)
  return value
}

function parseResultsDir(
  value: string,
  context: RunnerContext,
  workDir: string
): { resultsDir: string; resultsDirIsOurs: boolean } {
  if (!value) return { resultsDir: path.join(workDir, 'results'), resultsDirIsOurs: true }
  return { resultsDir: path.resolve(context.workspace, value), resultsDirIsOurs: false }
}

function optionalUrl(input: string, value: string): string | undefined {
  if (!value) return undefined
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new InputError(input, `"${value}" is not a URL such as http://127.0.0.1:5001.`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InputError(input, `"${value}" must be an http:// or https:// URL.`)
  }
  return value.replace(/\/+$/, '')
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

function parseHeaders(value: string): Array<[string, string]> {
  return lines(value).map((line) => {
    const colon = line.indexOf(':')
    const name = line.slice(0, colon).trim()
    if (colon < 0 || !HEADER_NAME.test(name)) {
      // The value may be a secret: name the line by its header name only.
      throw new InputError(
        'ipfs-api-headers',
        `a line ${colon < 0 ? 'has no ":"' : `has an invalid header name "${name}"`}; write Name: value, e.g. Authorization: Bearer <token>.`
      )
    }
    return [name, line.slice(colon + 1).trim()]
  })
}

/** upload-artifact's rule: these characters are refused by the results service. */
const BAD_ARTIFACT_CHARS = /[":<>|*?\r\n\\/]/

function parseArtifactName(raw: string): string | undefined {
  // action.yml defaults the name to `results`, so an empty value was set on purpose.
  const name = raw.trim()
  if (name === '') return undefined
  if (BAD_ARTIFACT_CHARS.test(name)) {
    throw new InputError(
      'artifact-name',
      `"${name}" contains a character artifacts cannot have (" : < > | * ? \\ / or a newline).`
    )
  }
  return name
}

function parseInteger(input: string, value: string, min: number, max: number): number {
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new InputError(input, `"${value}" must be a whole number from ${min} to ${max}.`)
  }
  return Number(value)
}

/** Values the step log must never show, to be masked before any work starts. */
export function secretsOf(spec: JobSpec): string[] {
  // `Bearer TOKEN`: the token alone is masked too, for a line that shows it without its scheme.
  const headerValues = spec.ipfs.headers.flatMap(([, value]) => [value, /^\S+\s+(\S{3,})$/.exec(value)?.[1]])
  return [spec.registryAuth?.password, spec.comment.token, ...headerValues].filter((secret): secret is string =>
    Boolean(secret)
  )
}

function parsePlatform(value: string): string {
  if (!/^[a-z0-9]+\/[a-z0-9_]+(\/[a-z0-9]+)?$/.test(value)) {
    throw new InputError('platform', `"${value}" is not OS/ARCH[/VARIANT], e.g. linux/amd64 or linux/arm64/v8.`)
  }
  return value
}

function parseRegistryAuth(username: string, password: string): JobSpec['registryAuth'] {
  if (!username && !password) return undefined
  if (!username) throw new InputError('registry-username', "is required when 'registry-password' is set.")
  if (!password) throw new InputError('registry-password', "is required when 'registry-username' is set.")
  return { username, password }
}

function parseBoolean(input: string, value: string): boolean {
  // The YAML 1.2 core schema, as @actions/core's getBooleanInput reads it.
  if (['true', 'True', 'TRUE'].includes(value)) return true
  if (['false', 'False', 'FALSE'].includes(value)) return false
  throw new InputError(input, `"${value}" is not true or false.`)
}

function oneOf<T extends string>(input: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T
  throw new InputError(input, `"${value}" is not one of ${allowed.join(', ')}.`)
}

function lines(value: string): string[] {
  return value
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
}
