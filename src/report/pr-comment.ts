import fs from 'node:fs'
import fsp from 'node:fs/promises'
import path from 'node:path'
import { loadUndici } from '../bundle/optional-modules.cjs'
import type { JobOutcome } from '../job.js'
import type { JobSpec } from '../spec/job-spec.js'
import { formatBytes } from '../format.js'
import type { Log } from '../storage/types.js'
import { cutShortBy, type Ending } from './ending.js'

/** What the pull request comment says about one run. */
export interface CommentReport extends Ending {
  image: { reference: string; digest: string }
  exitCode: number
  durationMs: number
  cid?: string
  /** A gateway link to the CID. */
  ipfsUrl?: string
  artifactUrl?: string
  /** Undefined bytes: the folder could not be read (e.g. files the container made private). */
  outputs: Array<{ name: string; bytes?: number }>
  /** The results folder's stderr file; its last lines are quoted. */
  stderrPath: string
}

export type CommentSettings = JobSpec['comment']
export type CommentLog = Pick<Log, 'info' | 'warning' | 'debug'>

const PULL_REQUEST_EVENTS = ['pull_request', 'pull_request_target']
const STDERR_TAIL_LINES = 20
// Bounds the comment well under GitHub's 65,536-character limit, even with
// the fences a backtick-heavy tail needs.
const STDERR_TAIL_BYTES = 8192
const MAX_LINE_CHARS = 500
const API_TIMEOUT_MS = 60_000

/** Where the comment goes and what identifies this step's own comment. */
interface Target {
  owner: string
  repo: string
  number: number
  workflow: string
  job: string
  marker: string
  runUrl?: string
}

/**
 * Comments the run's result on the pull request the workflow runs for.
 * `on-pr` adds a comment per run; `update` edits this step's previous comment
 * (found by its hidden marker) or adds one. Never throws: a comment that
 * cannot be written is a warning, since it must not change the job's result.
 */
export async function commentOnPullRequest(
  report: CommentReport,
  settings: CommentSettings,
  log: CommentLog
): Promise<void> {
  if (settings.mode === 'off') return
  let target: Target | undefined
  try {
    target = pullRequestTarget()
    if (!target) {
      const event = process.env.GITHUB_EVENT_NAME || 'an unknown event'
      log.info(
        `comment: ${settings.mode}: no pull request to comment on (this run is for ${event}, not a pull_request or pull_request_target event).`
      )
      return
    }
    if (!settings.token) {
      log.warning(`comment: ${settings.mode} needs a token, but 'github-token' is empty; no comment was written.`)
      return
    }
    const body = renderComment(report, target, await stderrTail(report.stderrPath))
    await writeComment(body, target, settings, log)
  } catch (error) {
    log.warning(commentFailure(error, target))
  }
}

async function writeComment(body: string, target: Target, settings: CommentSettings, log: CommentLog): Promise<void> {
  // GITHUB_API_URL is read here, not when @actions/github was loaded, so the
  // API of the environment at call time is used (GHES, or a test server).
  // Loaded only when a comment is written: most runs never need Octokit
  // (nor undici, which its fetch is, and which dist/ loads on demand).
  await loadUndici()
  const { getOctokit } = await import('@actions/github')
  const octokit = getOctokit(settings.token!, { baseUrl: process.env.GITHUB_API_URL || 'https://api.github.com' })
  // One deadline for every request: a slow API must not hold the job.
  const request = { signal: AbortSignal.timeout(API_TIMEOUT_MS) }
  const { owner, repo, number } = target
  if (settings.mode === 'update') {
    let previous: { id: number; html_url: string } | undefined
    const pages = octokit.paginate.iterator(octokit.rest.issues.listComments, {
      owner,
      repo,
      issue_number: number,
      per_page: 100,
      request
    })
    for await (const page of pages) {
      // The newest wins, should two runs have raced to create one.
      for (const comment of page.data) if (isOwnComment(comment.body, target.marker)) previous = comment
    }
    if (previous) {
      try {
        const { data } = await octokit.rest.issues.updateComment({
          owner,
          repo,
          comment_id: previous.id,
          body,
          request
        })
        log.info(`Updated the comment on pull request #${number}: ${data.html_url}`)
        return
      } catch (error) {
        // Deleted between the listing and the edit: a new one takes its place.
        if ((error as { status?: number }).status !== 404) throw error
      }
    }
  }
  const { data } = await octokit.rest.issues.createComment({ owner, repo, issue_number: number, body, request })
  log.info(`Commented on pull request #${number}: ${data.html_url}`)
}

/**
 * Only the first line counts, where this action puts the marker: a marker
 * quoted anywhere else (a user's comment, another job's stderr) is not ours.
 */
function isOwnComment(body: string | null | undefined, marker: string): boolean {
  return (body ?? '').split(/\r?\n/, 1)[0]!.trim() === marker
}

function commentFailure(error: unknown, target: Target | undefined): string {
  const where = target ? `on pull request #${target.number}` : 'on the pull request'
  const status = (error as { status?: number }).status
  const message = error instanceof Error ? error.message : String(error)
  const headers = (error as { response?: { headers?: Record<string, string | undefined> } }).response?.headers
  if ((status === 403 || status === 429) && headers?.['x-ratelimit-remaining'] === '0') {
    return `Could not comment ${where}: GitHub's API rate limit was reached (HTTP ${status}). The job's result is not affected.`
  }
  if (status === 403) {
    return (
      `Could not comment ${where} (HTTP 403: ${message}). The token may not write pull request comments: ` +
      `add \`permissions: pull-requests: write\` to the job (or the workflow). On a pull_request event from a fork ` +
      `the token is read-only whatever the permissions. The job's result is not affected.`
    )
  }
  return `Could not comment ${where}: ${message}. The job's result is not affected.`
}

/** The pull request of a pull_request or pull_request_target event, read from the runner's environment now. */
function pullRequestTarget(): Target | undefined {
  const event = process.env.GITHUB_EVENT_NAME ?? ''
  if (!PULL_REQUEST_EVENTS.includes(event)) return undefined
  const eventPath = process.env.GITHUB_EVENT_PATH
  if (!eventPath || !fs.existsSync(eventPath)) return undefined
  const payload = JSON.parse(fs.readFileSync(eventPath, 'utf8')) as {
    pull_request?: { number?: unknown }
    repository?: { name?: string; owner?: { login?: string } }
  }
  const number = payload.pull_request?.number
  if (typeof number !== 'number') return undefined
  const [owner, repo] = (process.env.GITHUB_REPOSITORY ?? '').split('/')
  const resolvedOwner = owner || payload.repository?.owner?.login
  const resolvedRepo = repo || payload.repository?.name
  if (!resolvedOwner || !resolvedRepo) return undefined
  const workflow = process.env.GITHUB_WORKFLOW ?? ''
  const job = process.env.GITHUB_JOB ?? ''
  const server = process.env.GITHUB_SERVER_URL || 'https://github.com'
  const runId = process.env.GITHUB_RUN_ID
  return {
    owner: resolvedOwner,
    repo: resolvedRepo,
    number,
    workflow,
    job,
    marker: commentMarker(workflow, job, process.env.GITHUB_ACTION),
    runUrl: runId ? `${server}/${resolvedOwner}/${resolvedRepo}/actions/runs/${runId}` : undefined
  }
}

/**
 * The hidden first line that names this step's comment. Every part is
 * percent-encoded, so no name can contain `-->` (ending the HTML comment
 * early) or a `:` that would blur the parts.
 */
export function commentMarker(workflow: string, job: string, step?: string): string {
  const parts = [workflow, job, ...(step ? [step] : [])].map((part) => encodeURIComponent(part))
  return `<!-- compute-over-data:${parts.join(':')} -->`
}

function renderComment(report: CommentReport, target: Target, tail: string | undefined): string {
  const cutShort = cutShortBy(report)
  const failed = cutShort !== undefined || report.exitCode !== 0
  const status = cutShort ? `${cutShort} (exit code ${report.exitCode})` : `exit code ${report.exitCode}`
  const where = [target.workflow, target.job].filter(Boolean).join(' / ')
  const rows: Array<[string, string]> = [
    ['Image', inlineCode(report.image.reference)],
    ['Digest', inlineCode(report.image.digest)],
    ['Exit code', status],
    ['Duration', formatDuration(report.durationMs)]
  ]
  if (report.cid) {
    rows.push(['CID', report.ipfsUrl ? link(inlineCode(report.cid), report.ipfsUrl) : inlineCode(report.cid)])
  }
  if (report.artifactUrl) rows.push(['Artifact', link('download the results', report.artifactUrl)])
  for (const output of report.outputs) {
    rows.push([
      `Output ${inlineCode(output.name)}`,
      output.bytes === undefined ? 'size unknown' : formatBytes(output.bytes)
    ])
  }
  const lines = [
    target.marker,
    `### ${failed ? '❌' : '✅'} compute-over-data: ${status}${where ? ` · ${escapeText(where)}` : ''}`,
    '',
    '| | |',
    '| --- | --- |',
    ...rows.map(([name, value]) => `| ${name} | ${value} |`)
  ]
  if (tail) {
    // Open when the run failed: the reason is usually in these lines.
    lines.push(
      '',
      `<details${failed ? ' open' : ''}><summary>Last lines of stderr</summary>`,
      '',
      codeBlock(tail),
      '',
      '</details>'
    )
  }
  if (target.runUrl) lines.push('', link('Workflow run', target.runUrl))
  return `${lines.join('\n')}\n`
}

/**
 * Container output as a fenced code block that cannot end early. Inside a
 * fence nothing is rendered (no HTML, no links, no entities: `&lt;` would be
 * shown as those four characters), so escaping HTML there would only garble
 * the text. What matters is the closing fence: only a line of at least as
 * many backticks closes it, so the fence is longer than any backtick run in
 * the text. Mentions and `<!--` get a zero-width joiner as well, for any
 * reader of the raw body (notifications, a naive marker search).
 */
export function codeBlock(text: string): string {
  const safe = neutralise(text)
  const fence = '`'.repeat(Math.max(3, longestRun(safe, '`') + 1))
  return `${fence}\n${safe}\n${fence}`
}

function neutralise(text: string): string {
  return text.replace(/@(?=[A-Za-z0-9_-])/g, '@\u200d').replace(/<!--/g, '<!\u200d--')
}

function longestRun(text: string, char: string): number {
  let longest = 0
  let run = 0
  for (const ch of text) {
    run = ch === char ? run + 1 : 0
    longest = Math.max(longest, run)
  }
  return longest
}

/** A table cell's code span: pipes escaped for the table, a delimiter longer than any backtick run. */
function inlineCode(text: string): string {
  const flat = neutralise(text.replace(/[\r\n]+/g, ' ')).replace(/\|/g, '\\|')
  const ticks = '`'.repeat(longestRun(flat, '`') + 1)
  const pad = flat.startsWith('`') || flat.endsWith('`') ? ' ' : ''
  return `${ticks}${pad}${flat}${pad}${ticks}`
}

/** Plain text in a heading: markdown and HTML characters are shown as themselves. */
function escapeText(text: string): string {
  return neutralise(text).replace(/[\\`*_{}[\]()#+!|<>&~]/g, (ch) => `\\${ch}`)
}

function link(label: string, url: string): string {
  let href: string
  try {
    href = new URL(url).href
  } catch {
    return label
  }
  if (!/^https?:$/.test(new URL(href).protocol)) return label
  return `[${label}](${href.replace(/[()]/g, (ch) => encodeURIComponent(ch))})`
}

function formatDuration(ms: number): string {
  const seconds = ms / 1000
  if (seconds < 60) return `${seconds.toFixed(1)} s`
  const total = Math.round(seconds)
  const h = Math.floor(total / 3600)
  const m = Math.floor((total % 3600) / 60)
  const s = total % 60
  return h > 0 ? `${h} h ${m} min ${s} s` : `${m} min ${s} s`
}

/* eslint-disable no-control-regex -- these match the terminal escapes and control characters container output carries */
const TERMINAL_ESCAPES = /\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])/g
const CONTROL_CHARS = /[\x00-\x08\x0b-\x1f\x7f]/g
/* eslint-enable no-control-regex */
// Bidirectional overrides could make the quoted text read differently from what it is.
const BIDI_CONTROLS = /[\u202a-\u202e\u2066-\u2069]/g

/** The last lines of stderr, as plain text, or undefined when there are none. */
async function stderrTail(file: string): Promise<string | undefined> {
  let handle: fsp.FileHandle
  try {
    handle = await fsp.open(file, 'r')
  } catch {
    return undefined
  }
  let text: string
  let cut: boolean
  try {
    const { size } = await handle.stat()
    const length = Math.min(size, STDERR_TAIL_BYTES)
    const buffer = Buffer.alloc(length)
    await handle.read(buffer, 0, length, size - length)
    text = buffer.toString('utf8')
    cut = size > length
  } finally {
    await handle.close()
  }
  let lines = text
    .replace(TERMINAL_ESCAPES, '')
    .replace(/\r\n?/g, '\n')
    .replace(CONTROL_CHARS, '')
    .replace(BIDI_CONTROLS, '\ufffd')
    .split('\n')
  // A read from the middle of the file starts mid-line, perhaps mid-character.
  if (cut) lines = lines.slice(1)
  while (lines.length > 0 && lines.at(-1)!.trim() === '') lines.pop()
  const tail = lines
    .slice(-STDERR_TAIL_LINES)
    .map((line) => (line.length > MAX_LINE_CHARS ? `${line.slice(0, MAX_LINE_CHARS)}…` : line))
  return tail.length > 0 ? tail.join('\n') : undefined
}

/** The comment's facts from a finished job and the publishers' step outputs. */
export async function commentReportOf(outcome: JobOutcome, published: Record<string, string>): Promise<CommentReport> {
  const { spec, image, container, results } = outcome
  return {
    image: { reference: spec.image.reference, digest: image.digest },
    exitCode: container.exitCode,
    timedOut: container.timedOut,
    oomKilled: container.oomKilled,
    killedExternally: container.killedExternally,
    durationMs: container.durationMs,
    cid: published.cid || undefined,
    ipfsUrl: published['ipfs-url'] || undefined,
    artifactUrl: published['artifact-url'] || undefined,
    outputs: await Promise.all(
      results.volumes.map(async (volume) => ({ name: volume.name, bytes: await folderBytes(volume.hostPath) }))
    ),
    stderrPath: results.stderr
  }
}

/** Total size of the regular files under a folder; links are not followed. */
async function folderBytes(dir: string): Promise<number | undefined> {
  try {
    const entries = await fsp.readdir(dir, { withFileTypes: true, recursive: true })
    let total = 0
    for (const entry of entries) {
      if (entry.isFile()) total += (await fsp.lstat(path.join(entry.parentPath, entry.name))).size
    }
    return total
  } catch {
    return undefined
  }
}
