import { execFileSync, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'

// script/release in a throwaway repository with a bare remote: a real git,
// a real `npm run build` (a tiny one that copies src/ to dist/).

const script = fs.readFileSync('script/release', 'utf8')
const gitEnv = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Release Test',
  GIT_AUTHOR_EMAIL: 'release@example.com',
  GIT_COMMITTER_NAME: 'Release Test',
  GIT_COMMITTER_EMAIL: 'release@example.com',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1'
}

let root: string
let repo: string
let remote: string

const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, env: gitEnv, encoding: 'utf8' }).trim()
const tags = (cwd: string) => git(cwd, 'tag', '--list').split('\n').filter(Boolean).sort()
const tagged = (cwd: string, tag: string) => git(cwd, 'rev-parse', `${tag}^{commit}`)

function release(...args: string[]) {
  const result = spawnSync('bash', ['script/release', ...args], { cwd: repo, env: gitEnv, encoding: 'utf8' })
  return { code: result.status, out: result.stdout, err: result.stderr }
}

function write(file: string, text: string) {
  fs.mkdirSync(path.dirname(path.join(repo, file)), { recursive: true })
  fs.writeFileSync(path.join(repo, file), text)
}

function setVersion(version: string, changelog = true) {
  write(
    'package.json',
    JSON.stringify({ name: 'release-test', version, private: true, scripts: { build: 'node build.mjs' } }, null, 2)
  )
  const previous = fs.existsSync(path.join(repo, 'CHANGELOG.md'))
    ? fs.readFileSync(path.join(repo, 'CHANGELOG.md'))
    : ''
  if (changelog) write('CHANGELOG.md', `## [${version}]\n\n- changes\n\n${previous}`)
}

function commitAll(message: string) {
  git(repo, 'add', '-A')
  git(repo, 'commit', '-q', '-m', message)
}

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'cod-release-'))
  repo = path.join(root, 'repo')
  remote = path.join(root, 'remote.git')
  fs.mkdirSync(repo)
  git(root, 'init', '-q', '--bare', remote)
  git(repo, 'init', '-q', '-b', 'main')
  git(repo, 'remote', 'add', 'origin', remote)
  write('script/release', script)
  write(
    'build.mjs',
    "import fs from 'node:fs'\nfs.mkdirSync('dist', { recursive: true })\nfs.copyFileSync('src/index.js', 'dist/index.js')\n"
  )
  write('src/index.js', 'console.log(1)\n')
  write('dist/index.js', 'console.log(1)\n')
  setVersion('1.2.3')
  commitAll('first')
})

afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true })
})

describe('script/release', () => {
  it('tags vX.Y.Z and vX, and prints the push command without pushing', () => {
    const { code, out, err } = release()
    expect(err).toBe('')
    expect(code).toBe(0)
    expect(tags(repo)).toEqual(['v1', 'v1.2.3'])
    expect(tagged(repo, 'v1')).toBe(git(repo, 'rev-parse', 'HEAD'))
    expect(tagged(repo, 'v1.2.3')).toBe(git(repo, 'rev-parse', 'HEAD'))
    expect(out).toContain('git push origin refs/tags/v1.2.3 && git push --force origin refs/tags/v1')
    expect(tags(remote)).toEqual([])
  })

  it('pushes with --push, and moves the major tag on the next release', () => {
    expect(release('--push').code).toBe(0)
    expect(tags(remote)).toEqual(['v1', 'v1.2.3'])
    const first = git(repo, 'rev-parse', 'HEAD')

    setVersion('1.3.0')
    commitAll('second')
    expect(release('--push').code).toBe(0)
    const second = git(repo, 'rev-parse', 'HEAD')
    expect(tags(remote)).toEqual(['v1', 'v1.2.3', 'v1.3.0'])
    expect(tagged(remote, 'v1')).toBe(second)
    expect(tagged(remote, 'v1.2.3')).toBe(first)
  })

  it('refuses a dirty tree, untracked files included', () => {
    write('notes.txt', 'scratch\n')
    const { code, err } = release()
    expect(code).toBe(1)
    expect(err).toContain('the work tree is not clean')
    expect(tags(repo)).toEqual([])
  })

  it('refuses a version that is tagged already, here or on the remote', () => {
    git(repo, 'tag', 'v1.2.3')
    expect(release()).toMatchObject({ code: 1, err: expect.stringContaining('the tag v1.2.3 exists already') })

    git(repo, 'push', '-q', 'origin', 'refs/tags/v1.2.3')
    git(repo, 'tag', '-d', 'v1.2.3')
    expect(release()).toMatchObject({ code: 1, err: expect.stringContaining('exists on origin already') })
    expect(tags(repo)).toEqual([])
  })

  it('refuses a dist/ that a fresh build would change', () => {
    write('src/index.js', 'console.log(2)\n')
    commitAll('src changed, dist not rebuilt')
    const { code, err } = release()
    expect(code).toBe(1)
    expect(err).toContain('a fresh build changes dist/')
    expect(err).toContain('dist/index.js')
    expect(tags(repo)).toEqual([])
  })

  it('refuses a version the changelog does not describe, or that is not X.Y.Z', () => {
    setVersion('1.4.0', false)
    commitAll('no changelog entry')
    expect(release()).toMatchObject({
      code: 1,
      err: expect.stringContaining("CHANGELOG.md has no '## [1.4.0]' section")
    })

    setVersion('1.4')
    commitAll('bad version')
    expect(release()).toMatchObject({ code: 1, err: expect.stringContaining('"1.4" is not X.Y.Z') })
    expect(tags(repo)).toEqual([])
  })
})
