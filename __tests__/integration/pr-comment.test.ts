import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import MarkdownIt from 'markdown-it'
import {
  codeBlock,
  commentMarker,
  commentOnPullRequest,
  commentReportOf,
  type CommentReport
} from '../../src/report/pr-comment.js'
import { startGitHubApi } from '../helpers/github-api.js'
import { jobSandbox } from '../helpers/job.js'
import { collectingLog } from '../helpers/log.js'

// The real @actions/github client against a local server that speaks the
// issue-comment routes; the runner's environment (event payload, repository,
// workflow, job) is set per test as the runner would set it.

const ENV = [
  'GITHUB_API_URL',
  'GITHUB_EVENT_NAME',
  'GITHUB_EVENT_PATH',
  'GITHUB_REPOSITORY',
  'GITHUB_WORKFLOW',
  'GITHUB_JOB',
  'GITHUB_ACTION',
  'GITHUB_RUN_ID',
  'GITHUB_SERVER_URL',
  'NO_PROXY'
] as const
const saved = Object.fromEntries(ENV.map((name) => [name, process.env[name]]))

const PR = 17
const TOKEN = 'ghs_test-token-123'
const DIGEST = `sha256:${'ab'.repeat(32)}`
const CID = 'QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG'
const MARKER = commentMarker('CI', 'build', 'job')
const ZWJ = '\u200d'

let api: Awaited<ReturnType<typeof startGitHubApi>>
let scratch: string

beforeAll(async () => {
  api = await startGitHubApi()
})
afterAll(async () => {
  await api.stop()
})

beforeEach(() => {
  api.reset()
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'cod-pr-comment-'))
  runFor('pull_request', { pull_request: { number: PR } })
  process.env.GITHUB_API_URL = api.url
  process.env.GITHUB_REPOSITORY = 'octo-org/octo-repo'
  process.env.GITHUB_WORKFLOW = 'CI'
  process.env.GITHUB_JOB = 'build'
  process.env.GITHUB_ACTION = 'job'
  process.env.GITHUB_RUN_ID = '4242'
  process.env.GITHUB_SERVER_URL = 'https://github.com'
  process.env.NO_PROXY = '127.0.0.1'
})

afterEach(() => {
  for (const name of ENV) {
    if (saved[name] === undefined) delete process.env[name]
    else process.env[name] = saved[name]
  }
  fs.rmSync(scratch, { recursive: true, force: true })
})

function runFor(event: string, payload: object): void {
  const file = path.join(scratch, `event-${event}.json`)
  fs.writeFileSync(file, JSON.stringify(payload))
  process.env.GITHUB_EVENT_NAME = event
  process.env.GITHUB_EVENT_PATH = file
}

function report(stderr = 'warming up\nall done\n', extra: Partial<CommentReport> = {}): CommentReport {
  const stderrPath = path.join(scratch, `stderr-${Math.random().toString(36).slice(2)}`)
  fs.writeFileSync(stderrPath, stderr)
  return {
    image: { reference: 'python:3.12-slim', digest: DIGEST },
    exitCode: 0,
    durationMs: 12_345,
    cid: CID,
    ipfsUrl: `https://ipfs.io/ipfs/${CID}`,
    artifactUrl: 'https://github.com/octo-org/octo-repo/actions/runs/4242/artifacts/99',
    outputs: [
      { name: 'outputs', bytes: 2048 },
      { name: 'logs', bytes: 0 }
    ],
    stderrPath,
    ...extra
  }
}

const posts = () => api.requests.filter((r) => r.method === 'POST')
const patches = () => api.requests.filter((r) => r.method === 'PATCH')
const bodyOf = (request: { body?: { body?: string } } | undefined) => request?.body?.body ?? ''

const markdown = new MarkdownIt({ html: true, linkify: true })

describe('on-pr', () => {
  it('posts the run as a new comment, with the marker first and the token in Authorization', async () => {
    const log = collectingLog()
    await commentOnPullRequest(report(), { mode: 'on-pr', token: TOKEN }, log)

    expect(posts()).toHaveLength(1)
    const [post] = posts()
    expect(post!.url).toBe(`/repos/octo-org/octo-repo/issues/${PR}/comments`)
    expect(post!.authorization).toBe(`token ${TOKEN}`)
    const body = bodyOf(post)
    expect(body.split('\n')[0]).toBe('<!-- compute-over-data:CI:build:job -->')
    expect(body).toContain('| Image | `python:3.12-slim` |')
    expect(body).toContain(`| Digest | \`${DIGEST}\` |`)
    expect(body).toContain('| Exit code | exit code 0 |')
    expect(body).toContain('| Duration | 12.3 s |')
    expect(body).toContain(`| CID | [\`${CID}\`](https://ipfs.io/ipfs/${CID}) |`)
    expect(body).toContain(
      '[download the results](https://github.com/octo-org/octo-repo/actions/runs/4242/artifacts/99)'
    )
    expect(body).toContain('| Output `outputs` | 2.0 KiB |')
    expect(body).toContain('| Output `logs` | 0 B |')
    expect(body).toContain('[Workflow run](https://github.com/octo-org/octo-repo/actions/runs/4242)')
    expect(body).toMatch(/```\nwarming up\nall done\n```/)
    expect(log.lines).toContain(
      `Commented on pull request #${PR}: https://github.com/octo-org/octo-repo/pull/${PR}#issuecomment-1000`
    )
    expect(log.lines.filter((line) => line.startsWith('warning:'))).toEqual([])

    const html = markdown.render(body)
    expect(html).toContain(`<a href="https://ipfs.io/ipfs/${CID}"><code>${CID}</code></a>`)
    expect(html).toContain('<td>Output <code>outputs</code></td>')
  })

  it('adds a comment per run, even when one is there already', async () => {
    await commentOnPullRequest(report(), { mode: 'on-pr', token: TOKEN }, collectingLog())
    await commentOnPullRequest(report(), { mode: 'on-pr', token: TOKEN }, collectingLog())
    expect(posts()).toHaveLength(2)
    expect(patches()).toHaveLength(0)
    expect(api.requests.filter((r) => r.method === 'GET')).toHaveLength(0)
    expect(api.comments.get(PR)).toHaveLength(2)
  })

  it('shows a failed run as such, its stderr open, and links the CID without a gateway as plain code', async () => {
    await commentOnPullRequest(
      report('Traceback (most recent call last):\nValueError: bad row 7\n', {
        exitCode: 3,
        ipfsUrl: undefined,
        artifactUrl: undefined
      }),
      { mode: 'on-pr', token: TOKEN },
      collectingLog()
    )
    const body = bodyOf(posts()[0])
    expect(body).toContain('### ❌ compute-over-data: exit code 3 · CI / build')
    expect(body).toContain('<details open><summary>Last lines of stderr</summary>')
    expect(body).toContain(`| CID | \`${CID}\` |`)
    expect(body).not.toContain('Artifact')
  })

  it('says timed out, out of memory or killed from outside rather than a bare exit code', async () => {
    await commentOnPullRequest(
      report('', { exitCode: 143, timedOut: true }),
      { mode: 'on-pr', token: TOKEN },
      collectingLog()
    )
    await commentOnPullRequest(
      report('', { exitCode: 137, oomKilled: true }),
      { mode: 'on-pr', token: TOKEN },
      collectingLog()
    )
    await commentOnPullRequest(
      report('', { exitCode: 137, killedExternally: true }),
      { mode: 'on-pr', token: TOKEN },
      collectingLog()
    )
    expect(bodyOf(posts()[0])).toContain('| Exit code | timed out (exit code 143) |')
    expect(bodyOf(posts()[1])).toContain('| Exit code | ran out of memory (exit code 137) |')
    expect(bodyOf(posts()[2])).toContain('| Exit code | killed from outside the action (exit code 137) |')
    // An empty stderr has nothing to quote.
    expect(bodyOf(posts()[0])).not.toContain('<details')
  })

  it('quotes only the last 20 lines of a long stderr', async () => {
    const lines = Array.from({ length: 500 }, (_, i) => `line ${i + 1}`)
    await commentOnPullRequest(report(`${lines.join('\n')}\n`), { mode: 'on-pr', token: TOKEN }, collectingLog())
    const fence = markdown.parse(bodyOf(posts()[0]), {}).filter((t) => t.type === 'fence')
    expect(fence).toHaveLength(1)
    expect(fence[0]!.content).toBe(`${lines.slice(-20).join('\n')}\n`)
  })
})

describe('update', () => {
  it("edits this step's previous comment, found on a later page, instead of adding one", async () => {
    for (let i = 0; i < 130; i++) api.addComment(PR, `chatter ${i}`)
    const ours = api.addComment(PR, `${MARKER}\nold results`, 'github-actions[bot]')
    // Newer than ours, the marker quoted by a person and another job's comment: neither is ours.
    api.addComment(PR, `look at this:\n${MARKER}\nweird`)
    api.addComment(PR, `${commentMarker('CI', 'lint', 'job')}\nlint results`, 'github-actions[bot]')
    for (let i = 0; i < 5; i++) api.addComment(PR, `later chatter ${i}`)

    const log = collectingLog()
    await commentOnPullRequest(report(), { mode: 'update', token: TOKEN }, log)

    const gets = api.requests.filter((r) => r.method === 'GET')
    expect(gets.map((r) => new URL(r.url, api.url).searchParams.get('page'))).toEqual([null, '2'])
    expect(gets.every((r) => r.authorization === `token ${TOKEN}`)).toBe(true)
    expect(posts()).toHaveLength(0)
    expect(patches()).toHaveLength(1)
    expect(patches()[0]!.url).toBe(`/repos/octo-org/octo-repo/issues/comments/${ours.id}`)
    expect(ours.body.split('\n')[0]).toBe(MARKER)
    expect(ours.body).toContain(`| Digest | \`${DIGEST}\` |`)
    expect(api.comments.get(PR)!.find((c) => c.body.startsWith('look at this'))!.body).toBe(
      `look at this:\n${MARKER}\nweird`
    )
    expect(log.lines).toContain(
      `Updated the comment on pull request #${PR}: https://github.com/octo-org/octo-repo/pull/${PR}#issuecomment-${ours.id}`
    )
  })

  it('posts the first comment, then edits it on the next run', async () => {
    await commentOnPullRequest(report('first run\n'), { mode: 'update', token: TOKEN }, collectingLog())
    await commentOnPullRequest(report('second run\n'), { mode: 'update', token: TOKEN }, collectingLog())
    expect(posts()).toHaveLength(1)
    expect(patches()).toHaveLength(1)
    expect(api.comments.get(PR)).toHaveLength(1)
    expect(api.comments.get(PR)![0]!.body).toContain('second run')
  })

  it('keeps one comment per job and step', async () => {
    await commentOnPullRequest(report(), { mode: 'update', token: TOKEN }, collectingLog())
    process.env.GITHUB_JOB = 'test'
    await commentOnPullRequest(report(), { mode: 'update', token: TOKEN }, collectingLog())
    process.env.GITHUB_ACTION = '__self_2'
    await commentOnPullRequest(report(), { mode: 'update', token: TOKEN }, collectingLog())
    expect(posts()).toHaveLength(3)
    expect(api.comments.get(PR)!.map((c) => c.body.split('\n')[0])).toEqual([
      '<!-- compute-over-data:CI:build:job -->',
      '<!-- compute-over-data:CI:test:job -->',
      '<!-- compute-over-data:CI:test:__self_2 -->'
    ])
  })

  it("is not fooled by another job's stderr that prints this job's marker", async () => {
    process.env.GITHUB_JOB = 'evil'
    await commentOnPullRequest(report(`${MARKER}\n`), { mode: 'update', token: TOKEN }, collectingLog())
    process.env.GITHUB_JOB = 'build'
    await commentOnPullRequest(report('honest\n'), { mode: 'update', token: TOKEN }, collectingLog())
    expect(patches()).toHaveLength(0)
    expect(posts()).toHaveLength(2)
    const evil = bodyOf(posts()[0])
    expect(evil).not.toContain(MARKER)
    expect(evil).toContain(`<!${ZWJ}-- compute-over-data:CI:build:job -->`)
  })
})

describe('hostile stderr', () => {
  const hostile = [
    'normal line',
    '```',
    '````````````````````',
    '   ``````````````````````` still inside',
    '~~~',
    '</details>',
    '<!-- compute-over-data:CI:build:job -->',
    '@octocat @github/security-team please look',
    '<img src=x onerror=alert(1)>',
    '<script>alert(1)</script>',
    '[click me](https://evil.example) https://evil.example/autolink',
    '# Heading?',
    '\u001b[31mred text\u001b[0m and a bell\u0007',
    'progress 10%\rprogress 100%',
    'bidi \u202eevil\u202c end',
    'last line'
  ].join('\n')

  it('stays inside one fence that nothing in it can close', async () => {
    await commentOnPullRequest(
      report(`${hostile}\n`, { exitCode: 1 }),
      { mode: 'on-pr', token: TOKEN },
      collectingLog()
    )
    const body = bodyOf(posts()[0])
    const tokens = markdown.parse(body, {})

    const fences = tokens.filter((t) => t.type === 'fence')
    expect(fences).toHaveLength(1)
    const quoted = fences[0]!.content
    expect(quoted).toContain('````````````````````\n')
    expect(quoted).toContain('</details>\n<!')
    expect(quoted).toContain(`@${ZWJ}octocat @${ZWJ}github/security-team please look`)
    expect(quoted).toContain('<img src=x onerror=alert(1)>')
    expect(quoted).toContain('red text and a bell\n')
    expect(quoted).toContain('progress 10%\nprogress 100%\n')
    expect(quoted).toContain('bidi \ufffdevil\ufffd end')
    expect(quoted.endsWith('last line\n')).toBe(true)
    for (const control of ['\u001b', '\u0007', '\r']) expect(quoted).not.toContain(control)

    // Outside the fence there is only what the action wrote itself.
    const html = tokens.filter((t) => t.type === 'html_block' || t.type === 'html_inline').map((t) => t.content.trim())
    expect(html).toEqual([MARKER, '<details open><summary>Last lines of stderr</summary>', '</details>'])
    const rendered = markdown.render(body)
    expect(rendered).not.toContain('<img')
    expect(rendered).not.toContain('<script')
    expect(rendered).not.toContain('href="https://evil.example')
    expect(rendered).not.toMatch(/<h1/)
    // The footer after the fence is still rendered as a link, so the fence closed where the action meant it to.
    expect(rendered).toMatch(
      /<\/code><\/pre>\n<\/details>\n<p><a href="https:\/\/github.com\/octo-org\/octo-repo\/actions\/runs\/4242">Workflow run<\/a><\/p>/
    )
    // The body names this job's marker once: on its first line.
    expect(body.split(MARKER)).toHaveLength(2)
    expect(body.startsWith(`${MARKER}\n`)).toBe(true)
  })

  it('cannot be closed early by any run of backticks', () => {
    // Lines of backticks of every length near the fence's own, and runs inside lines.
    for (let longest = 0; longest <= 12; longest++) {
      const lines = Array.from({ length: longest + 1 }, (_, n) => `${'`'.repeat(n)}`)
      const text = [...lines, `x${'`'.repeat(longest)}y`, 'end'].join('\n')
      const fences = markdown.parse(codeBlock(text), {}).filter((t) => t.type === 'fence')
      expect(fences).toHaveLength(1)
      expect(fences[0]!.content).toBe(`${text}\n`)
    }
  })

  it('escapes the workflow name in the heading and the marker', async () => {
    process.env.GITHUB_WORKFLOW = 'CI --> <b>x</b> @octocat'
    await commentOnPullRequest(report(), { mode: 'on-pr', token: TOKEN }, collectingLog())
    const body = bodyOf(posts()[0])
    expect(body.split('\n')[0]).toBe(
      '<!-- compute-over-data:CI%20--%3E%20%3Cb%3Ex%3C%2Fb%3E%20%40octocat:build:job -->'
    )
    const html = markdown.parse(body, {}).filter((t) => t.type === 'html_block' || t.type === 'html_inline')
    expect(html.map((t) => t.content.trim())).toEqual([
      body.split('\n')[0],
      '<details><summary>Last lines of stderr</summary>',
      '</details>'
    ])
    expect(markdown.render(body)).toContain(`CI --&gt; &lt;b&gt;x&lt;/b&gt; @${ZWJ}octocat / build`)
  })
})

describe('when not to comment', () => {
  it('sends nothing with comment: off', async () => {
    const log = collectingLog()
    await commentOnPullRequest(report(), { mode: 'off', token: TOKEN }, log)
    expect(api.requests).toEqual([])
    expect(log.lines).toEqual([])
  })

  it('sends nothing when the run is not for a pull request, and says why', async () => {
    runFor('push', { ref: 'refs/heads/main', pull_request: { number: PR } })
    const log = collectingLog()
    await commentOnPullRequest(report(), { mode: 'update', token: TOKEN }, log)
    runFor('issue_comment', { issue: { number: PR, pull_request: {} } })
    await commentOnPullRequest(report(), { mode: 'on-pr', token: TOKEN }, log)
    expect(api.requests).toEqual([])
    expect(log.lines[0]).toMatch(/no pull request to comment on \(this run is for push/)
    expect(log.lines[1]).toMatch(/this run is for issue_comment/)
  })

  it('comments for pull_request_target too', async () => {
    runFor('pull_request_target', { pull_request: { number: 8 } })
    await commentOnPullRequest(report(), { mode: 'on-pr', token: TOKEN }, collectingLog())
    expect(posts().map((r) => r.url)).toEqual(['/repos/octo-org/octo-repo/issues/8/comments'])
  })

  it('warns, sending nothing, when the token is empty', async () => {
    const log = collectingLog()
    await commentOnPullRequest(report(), { mode: 'on-pr' }, log)
    expect(api.requests).toEqual([])
    expect(log.lines).toEqual([
      "warning: comment: on-pr needs a token, but 'github-token' is empty; no comment was written."
    ])
  })
})

describe('failures are warnings', () => {
  it('names the permission to add on a 403', async () => {
    api.refuse(403, 'Resource not accessible by integration')
    const log = collectingLog()
    await expect(commentOnPullRequest(report(), { mode: 'update', token: TOKEN }, log)).resolves.toBeUndefined()
    expect(api.requests).toHaveLength(1)
    const warnings = log.lines.filter((line) => line.startsWith('warning:'))
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toContain(`Could not comment on pull request #${PR} (HTTP 403`)
    expect(warnings[0]).toContain('Resource not accessible by integration')
    expect(warnings[0]).toContain('`permissions: pull-requests: write`')
    expect(warnings[0]).toContain("The job's result is not affected.")
  })

  it('tells a rate limit apart from a missing permission', async () => {
    api.refuse(403, 'API rate limit exceeded', { 'x-ratelimit-remaining': '0' })
    const log = collectingLog()
    await commentOnPullRequest(report(), { mode: 'on-pr', token: TOKEN }, log)
    expect(log.lines).toEqual([
      `warning: Could not comment on pull request #${PR}: GitHub's API rate limit was reached (HTTP 403). The job's result is not affected.`
    ])
  })

  it('warns on a server error or an unreachable API', async () => {
    api.refuse(500, 'Server Error')
    const log = collectingLog()
    await commentOnPullRequest(report(), { mode: 'on-pr', token: TOKEN }, log)
    process.env.GITHUB_API_URL = 'http://127.0.0.1:1'
    await commentOnPullRequest(report(), { mode: 'on-pr', token: TOKEN }, log)
    expect(log.lines).toHaveLength(2)
    expect(log.lines[0]).toMatch(/^warning: Could not comment on pull request #17: Server Error/)
    expect(log.lines[1]).toMatch(
      /^warning: Could not comment on pull request #17: .+ The job's result is not affected\.$/
    )
  })
})

describe('from a real job', () => {
  const sandbox = jobSandbox('pr-comment')
  afterAll(() => sandbox.cleanup())

  it('reports the image, exit code and the size of each output volume', async () => {
    const job = await sandbox.job({
      outputs: 'outputs:/outputs\nlogs:/logs',
      run: 'head -c 3000 /dev/zero > /outputs/a.bin; mkdir /outputs/sub; head -c 100 /dev/zero > /outputs/sub/b.bin; echo problem @octocat >&2; exit 2',
      'fail-on-exit-code': 'false'
    })
    const built = await commentReportOf(job, { cid: CID, 'ipfs-url': `https://ipfs.io/ipfs/${CID}` })
    expect(built.outputs).toEqual([
      { name: 'outputs', bytes: 3100 },
      { name: 'logs', bytes: 0 }
    ])
    expect(built.exitCode).toBe(2)
    expect(built.image.digest).toBe(job.image.digest)
    expect(built.artifactUrl).toBeUndefined()

    await commentOnPullRequest(built, { mode: 'update', token: TOKEN }, collectingLog())
    const body = bodyOf(posts()[0])
    expect(body).toContain(`| Digest | \`${job.image.digest}\` |`)
    expect(body).toContain('| Exit code | exit code 2 |')
    expect(body).toContain('| Output `outputs` | 3.0 KiB |')
    expect(body).toContain('| Output `logs` | 0 B |')
    expect(body).toContain(`\`\`\`\nproblem @${ZWJ}octocat\n\`\`\``)
  })
})
