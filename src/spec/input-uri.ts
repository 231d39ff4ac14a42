import path from 'node:path'
import { CID } from 'multiformats/cid'
import { InputError } from './errors.js'
import { checkContainerPath } from './paths.js'
import { redactCredentials } from './redact.js'

/** Where an input comes from, as parsed from one line of the `inputs` input. */
export type InputSource =
  | { scheme: 'workspace'; hostPath: string; relativePath: string }
  | { scheme: 'ipfs'; cid: string; subpath: string }
  | { scheme: 'http'; url: string; checksumSha256?: string }
  | {
      scheme: 's3'
      bucket: string
      key: string
      /** A key ending in `/` or `*` is a prefix listing; otherwise one object. */
      isPrefix: boolean
      region?: string
      endpoint?: string
      versionId?: string
      checksumSha256?: string
      filter?: string
    }

export interface InputSpec {
  source: InputSource
  /** Absolute path in the container. */
  target: string
  /**
   * True when the target names a file (its last segment has an extension and
   * it does not end in `/`): a single-file source is then mounted at the target
   * itself rather than at `target/<filename>`.
   */
  targetIsFile: boolean
  /** The line as the user wrote it, credentials in URLs replaced by ***, for messages. */
  line: string
}

export const DEFAULT_INPUT_TARGET = '/inputs'
const INPUT = 'inputs'

/** Options each scheme accepts after `opt=`, with Bacalhau's aliases. */
const OPTION_ALIASES: Record<string, string> = {
  region: 'region',
  endpoint: 'endpoint',
  versionid: 'versionId',
  'version-id': 'versionId',
  version_id: 'versionId',
  'checksum-256': 'checksum256',
  checksum256: 'checksum256',
  checksum_256: 'checksum256',
  filter: 'filter'
}
const OPTIONS_BY_SCHEME: Record<InputSource['scheme'], string[]> = {
  workspace: [],
  ipfs: [],
  http: ['checksum256'],
  s3: ['region', 'endpoint', 'versionId', 'checksum256', 'filter']
}

/**
 * Parses one line of Bacalhau's input grammar: the short form `URI[:TARGET]`
 * or the key form `src=URI,dst=TARGET,opt=k=v,...`.
 */
export function parseInputLine(line: string, workspace: string): InputSpec {
  try {
    const { uri, target, options } = isKeyForm(line) ? splitKeyForm(line) : splitShortForm(line)
    const checkedTarget = checkContainerPath(INPUT, target ?? DEFAULT_INPUT_TARGET, `target of "${line}"`)
    const source = parseSource(uri, options, workspace, line)
    const targetIsFile = target !== undefined && !target.endsWith('/') && path.posix.extname(checkedTarget) !== ''
    // Messages and log groups quote the line: never with the credentials in its URL.
    return { source, target: checkedTarget, targetIsFile, line: redactCredentials(line) }
  } catch (error) {
    if (!(error instanceof InputError)) throw error
    throw new InputError(INPUT, redactCredentials(error.message.slice(`Input '${INPUT}': `.length), line))
  }
}

function isKeyForm(line: string): boolean {
  return /^(src|source)=/i.test(line) || /,(dst|target|destination|opt|src|source)=/i.test(line)
}

interface SplitLine {
  uri: string
  target?: string
  options: Map<string, string>
}

function splitKeyForm(line: string): SplitLine {
  let uri: string | undefined
  let target: string | undefined
  const options = new Map<string, string>()
  for (const field of splitCsv(line)) {
    const eq = field.indexOf('=')
    const key = field.slice(0, eq).trim().toLowerCase()
    const value = field.slice(eq + 1).trim()
    if (eq < 0) {
      throw new InputError(INPUT, `"${field}" in "${line}" is not key=value; use src=URI,dst=TARGET,opt=k=v.`)
    } else if (key === 'src' || key === 'source') {
      uri = value
    } else if (key === 'dst' || key === 'target' || key === 'destination') {
      target = value
    } else if (key === 'opt' || key === 'opts') {
      const optEq = value.indexOf('=')
      if (optEq <= 0) {
        throw new InputError(INPUT, `option "${value}" in "${line}" is not opt=name=value.`)
      }
      const name = OPTION_ALIASES[value.slice(0, optEq).toLowerCase()]
      if (!name) {
        throw new InputError(
          INPUT,
          `unknown option "${value.slice(0, optEq)}" in "${line}"; known options: ${[...new Set(Object.values(OPTION_ALIASES))].join(', ')}.`
        )
      }
      options.set(name, value.slice(optEq + 1))
    } else {
      throw new InputError(INPUT, `unknown key "${key}" in "${line}"; use src=, dst= and opt=.`)
    }
  }
  if (!uri) throw new InputError(INPUT, `"${line}" has no src=URI.`)
  return { uri, target, options }
}

/** Bacalhau reads the key form as CSV, so a field may be double-quoted to hold a comma. */
function splitCsv(line: string): string[] {
  const fields: string[] = []
  let field = ''
  let quoted = false
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        field += '"'
        i++
      } else if (ch === '"') {
        quoted = false
      } else {
        field += ch
      }
    } else if (ch === '"' && field.trim() === '') {
      quoted = true
    } else if (ch === '"') {
      throw new InputError(INPUT, `"${line}" has a double quote inside a field; quote the whole field, e.g. "src=a,b".`)
    } else if (ch === ',') {
      fields.push(field)
      field = ''
    } else {
      field += ch
    }
  }
  if (quoted) throw new InputError(INPUT, `"${line}" has an unclosed double quote.`)
  fields.push(field)
  return fields.filter((f) => f.trim() !== '')
}

/**
 * In the short form the last colon splits off the target, but only when what
 * follows it is an absolute path: unlike Bacalhau, `https://host:8080/f` is
 * then read correctly (the key form stays the documented way for ports).
 */
function splitShortForm(line: string): SplitLine {
  const schemeEnd = line.indexOf('://')
  const searchFrom = schemeEnd >= 0 ? schemeEnd + 3 : 0
  const colon = line.lastIndexOf(':')
  if (colon >= searchFrom && line[colon + 1] === '/') {
    return { uri: line.slice(0, colon), target: line.slice(colon + 1), options: new Map() }
  }
  if (colon >= searchFrom && schemeEnd < 0) {
    throw new InputError(
      INPUT,
      `target "${line.slice(colon + 1)}" in "${line}" must be an absolute path such as /inputs/data.`
    )
  }
  return { uri: line, options: new Map() }
}

function parseSource(uri: string, options: Map<string, string>, workspace: string, line: string): InputSource {
  const schemeMatch = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(uri)
  const scheme = schemeMatch?.[1]!.toLowerCase()
  let source: InputSource
  if (!schemeMatch) {
    source = parseWorkspacePath(uri, workspace, line)
  } else if (scheme === 'ipfs') {
    source = parseIpfs(uri, line)
  } else if (scheme === 'http' || scheme === 'https') {
    source = parseHttp(uri, line)
  } else if (scheme === 's3') {
    source = parseS3(uri, options, line)
  } else {
    throw new InputError(
      INPUT,
      `unknown scheme "${scheme}://" in "${line}"; use ipfs://, https://, http://, s3:// or a path in the workspace.`
    )
  }
  const allowed = OPTIONS_BY_SCHEME[source.scheme]
  for (const name of options.keys()) {
    if (!allowed.includes(name)) {
      throw new InputError(
        INPUT,
        `option "${name}" does not apply to ${source.scheme} inputs ("${line}")${allowed.length ? `; it takes ${allowed.join(', ')}` : ''}.`
      )
    }
  }
  const checksum = options.get('checksum256')
  if (checksum !== undefined && !/^[0-9a-fA-F]{64}$/.test(checksum)) {
    throw new InputError(INPUT, `checksum-256 in "${line}" must be 64 hex digits (a SHA-256).`)
  }
  if (source.scheme === 'http' && checksum) source.checksumSha256 = checksum.toLowerCase()
  return source
}

function parseWorkspacePath(uri: string, workspace: string, line: string): InputSource {
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(uri) && !uri.startsWith('/')) {
    throw new InputError(
      INPUT,
      `"${uri}" in "${line}" is not a known URI; use ipfs://, https://, s3:// or a workspace path.`
    )
  }
  const hostPath = path.resolve(workspace, uri)
  const relativePath = path.relative(workspace, hostPath)
  if (relativePath.startsWith('..') || path.isAbsolute(relativePath)) {
    throw new InputError(
      INPUT,
      `"${uri}" is outside the workspace; a local input must be a path inside GITHUB_WORKSPACE.`
    )
  }
  return { scheme: 'workspace', hostPath, relativePath: relativePath || '.' }
}

function parseIpfs(uri: string, line: string): InputSource {
  // Not URL-parsed: a URL host is lower-cased, which would corrupt a base58 CID.
  const rest = uri.slice('ipfs://'.length)
  const slash = rest.indexOf('/')
  const cid = slash < 0 ? rest : rest.slice(0, slash)
  const subpath = slash < 0 ? '' : rest.slice(slash + 1).replace(/\/+$/, '')
  try {
    CID.parse(cid)
  } catch {
    throw new InputError(INPUT, `"${cid}" in "${line}" is not a valid CID.`)
  }
  if (subpath.split('/').some((part) => part === '..' || part === '.')) {
    throw new InputError(INPUT, `the path after the CID in "${line}" must not contain "." or "..".`)
  }
  return { scheme: 'ipfs', cid, subpath }
}

function parseHttp(uri: string, line: string): InputSource {
  let url: URL
  try {
    url = new URL(uri)
  } catch {
    throw new InputError(INPUT, `"${uri}" in "${line}" is not a valid URL.`)
  }
  if (!url.hostname) throw new InputError(INPUT, `"${uri}" in "${line}" has no host.`)
  return { scheme: 'http', url: url.href }
}

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/

function parseS3(uri: string, options: Map<string, string>, line: string): InputSource {
  const rest = uri.slice('s3://'.length)
  const slash = rest.indexOf('/')
  const bucket = slash < 0 ? rest : rest.slice(0, slash)
  const rawKey = slash < 0 ? '' : rest.slice(slash + 1)
  if (!BUCKET_NAME.test(bucket) || bucket.includes('..')) {
    throw new InputError(
      INPUT,
      `"${bucket}" in "${line}" is not a valid S3 bucket name (3-63 lower-case letters, digits, dots and hyphens).`
    )
  }
  const isPrefix = rawKey === '' || rawKey.endsWith('/') || rawKey.endsWith('*')
  // A trailing `*` is a prefix marker, not a glob, as in Bacalhau.
  const key = rawKey.endsWith('*') ? rawKey.slice(0, -1) : rawKey
  if (key.includes('*')) {
    throw new InputError(INPUT, `"${line}": only a trailing * is allowed in an S3 key (it marks a prefix).`)
  }
  const filter = options.get('filter')
  if (filter !== undefined) {
    if (!isPrefix) {
      throw new InputError(INPUT, `opt=filter in "${line}" needs a prefix (a key ending in / or *).`)
    }
    try {
      new RegExp(filter)
    } catch (error) {
      throw new InputError(
        INPUT,
        `opt=filter "${filter}" in "${line}" is not a valid regular expression: ${(error as Error).message}.`
      )
    }
  }
  const endpoint = options.get('endpoint')
  if (endpoint !== undefined && !URL.canParse(endpoint)) {
    throw new InputError(INPUT, `opt=endpoint "${endpoint}" in "${line}" is not a URL such as https://s3.example.com.`)
  }
  const versionId = options.get('versionId')
  if (versionId !== undefined && isPrefix) {
    throw new InputError(INPUT, `opt=versionID in "${line}" applies to a single object, not a prefix.`)
  }
  return {
    scheme: 's3',
    bucket,
    key,
    isPrefix,
    region: options.get('region'),
    endpoint,
    versionId,
    checksumSha256: options.get('checksum256')?.toLowerCase(),
    filter
  }
}
