import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals'
import Docker from 'dockerode'
import { runAction } from '../../script/run-action.mjs'
import { RUN_LABEL } from '../../src/executor/engine.js'
import { BUSYBOX_IMAGE } from '../servers/images.js'
import { pushImage, registryAuth, removeRegistryImages } from '../servers/registry.js'

/**
 * The built bundle, run as the runner runs a node action: copied with
 * action.yml into a folder with no node_modules (so it must be
 * self-contained), INPUT_* variables, file commands, then the post step.
 */
const docker = new Docker()
let root: string
let actionDir: string
let workspace: string
let runnerTemp: string

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'cod-e2e-'))
  actionDir = path.join(root, 'action')
  fs.mkdirSync(actionDir)
  fs.cpSync('dist', path.join(actionDir, 'dist'), { recursive: true })
  fs.copyFileSync('action.yml', path.join(actionDir, 'action.yml'))
  workspace = path.join(root, 'workspace')
  fs.mkdirSync(path.join(workspace, 'data'), { recursive: true })
  fs.writeFileSync(path.join(workspace, 'data', 'words.txt'), 'alpha beta gamma\n')
})

afterAll(() => fs.rmSync(root, { recursive: true, force: true }))

const runIds: string[] = []

afterEach(async () => {
  // Other test files run containers at the same time: look only at this file's runs.
  const left = await docker.listContainers({ all: true, filters: { label: [RUN_LABEL] } })
  expect(left.filter((c) => runIds.includes(c.Labels[RUN_LABEL]!))).toEqual([])
})

/** runAction, remembering the run's ID (from the saved state) for the leftover check. */
async function runStep(options: Parameters<typeof runAction>[0]) {
  const result = await runAction(options)
  if (result.state.run) runIds.push((JSON.parse(result.state.run) as { runId: string }).runId)
  return result
}

function freshRunnerTemp(): string {
  runnerTemp = fs.mkdtempSync(path.join(root, 'temp-'))
  return runnerTemp
}

const leftInTemp = () => fs.readdirSync(runnerTemp).filter((name) => !name.startsWith('_runner_file_commands'))

describe('dist/index.js as the runner runs it', () => {
  it('runs a job, sets every output, writes the summary, and the post step cleans up', async () => {
    const result = await runStep({
      actionDir,
      workspace,
      runnerTemp: freshRunnerTemp(),
      inputs: {
        image: BUSYBOX_IMAGE,
        pull: 'never',
        inputs: 'data:/inputs',
        env: 'WHO=e2e',
        run: 'wc -w < /inputs/words.txt > /outputs/count.txt; echo "hello $WHO"; echo note >&2',
        'artifact-name': ''
      }
    })
    expect(result.log).not.toMatch(/::error::/)
    expect(result.exitCode).toBe(0)
    const outputs = result.outputs
    expect(outputs['exit-code']).toBe('0')
    expect(outputs['image-digest']).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect(Number(outputs['duration-ms'])).toBeGreaterThan(0)
    const resultsDir = outputs['results-dir']!
    expect(resultsDir.startsWith(path.join(runnerTemp, 'compute-over-data'))).toBe(true)
    expect(result.log).toContain('hello e2e')
    expect(result.summary).toContain(BUSYBOX_IMAGE)
    expect(result.summary).toContain('outputs/count.txt')
    expect(result.state.isPost).toBe('true')
    // The post step ran after main: the results folder under RUNNER_TEMP is gone by now.
    expect(result.postExitCode).toBe(0)
    expect(leftInTemp()).toEqual(['compute-over-data'])
    expect(fs.readdirSync(path.join(runnerTemp, 'compute-over-data'))).toEqual([])
  })

  it('keeps a results folder the user named, complete, when the container fails', async () => {
    const resultsDir = path.join(workspace, 'results-failing')
    const result = await runStep({
      actionDir,
      workspace,
      runnerTemp: freshRunnerTemp(),
      inputs: {
        image: BUSYBOX_IMAGE,
        pull: 'never',
        run: 'echo partial > /outputs/p.txt; echo "something broke" >&2; exit 7',
        'results-dir': 'results-failing',
        'artifact-name': ''
      }
    })
    expect(result.exitCode).toBe(1)
    expect(result.log).toMatch(/::error::The container exited with code 7\.%0ALast lines of stderr:%0Asomething broke/)
    expect(result.outputs['exit-code']).toBe('7')
    expect(fs.readFileSync(path.join(resultsDir, 'exitCode'), 'utf8')).toBe('7')
    expect(fs.readFileSync(path.join(resultsDir, 'outputs', 'p.txt'), 'utf8')).toBe('partial\n')
    expect(result.postExitCode).toBe(0)
    expect(fs.existsSync(path.join(resultsDir, 'stderr'))).toBe(true)
  })

  it('passes a non-zero exit when fail-on-exit-code is false', async () => {
    const result = await runStep({
      actionDir,
      workspace,
      runnerTemp: freshRunnerTemp(),
      inputs: {
        image: BUSYBOX_IMAGE,
        pull: 'never',
        command: 'false',
        'fail-on-exit-code': 'false',
        'artifact-name': ''
      }
    })
    expect(result.exitCode).toBe(0)
    expect(result.outputs['exit-code']).toBe('1')
  })

  it('fails a bad input with a message naming it, leaving nothing behind', async () => {
    const result = await runStep({
      actionDir,
      workspace,
      runnerTemp: freshRunnerTemp(),
      inputs: { image: BUSYBOX_IMAGE, memory: 'lots', command: 'true' }
    })
    expect(result.exitCode).toBe(1)
    expect(result.log).toContain(`::error::Input 'memory': "lots" is not a size`)
    expect(result.outputs).toEqual({})
    expect(result.postExitCode).toBe(0)
    expect(leftInTemp()).toEqual([])
  })

  it('refuses a container that tries to issue workflow commands', async () => {
    const result = await runStep({
      actionDir,
      workspace,
      runnerTemp: freshRunnerTemp(),
      inputs: {
        image: BUSYBOX_IMAGE,
        pull: 'never',
        run: 'echo "::set-output name=exit-code::forged"; echo "::error::forged"',
        'artifact-name': ''
      }
    })
    // The runner ignores commands between stop-commands markers: the output is there, as text only.
    const stop = /::stop-commands::([0-9a-f]{32})\n([\s\S]*)::\1::/.exec(result.log)
    expect(stop?.[2]).toContain('::set-output name=exit-code::forged')
    expect(result.outputs['exit-code']).toBe('0')
  })

  it('pulls from a private registry with masked credentials: the password is in no line of the step log', async () => {
    const auth = registryAuth()
    if (!auth.serveraddress) throw new Error('COD_REGISTRY is not set: run with the registry test server.')
    // This file's own repository, so the registry test file's cleanup never races with it.
    const prefix = `${auth.serveraddress}/e2e/`
    const image = `${prefix}busybox:1`
    const digest = await pushImage(docker, BUSYBOX_IMAGE, image, auth)
    await removeRegistryImages(docker, prefix)
    try {
      const inputs = {
        image,
        command: 'true',
        'registry-username': auth.username,
        'artifact-name': ''
      }
      const wrong = `${auth.password.slice(0, 6)}-not-the-password`
      const refused = await runStep({
        actionDir,
        workspace,
        runnerTemp: freshRunnerTemp(),
        inputs: { ...inputs, 'registry-password': wrong }
      })
      expect(refused.exitCode).toBe(1)
      expect(refused.log).toContain(`::error::Inputs 'registry-username' and 'registry-password': `)
      const pulled = await runStep({
        actionDir,
        workspace,
        runnerTemp: freshRunnerTemp(),
        inputs: { ...inputs, 'registry-password': auth.password }
      })
      expect(pulled.log).not.toMatch(/::error::/)
      expect(pulled.exitCode).toBe(0)
      expect(pulled.outputs['image-digest']).toBe(digest)
      // The runner takes ::add-mask:: lines as commands and never shows them;
      // every other line of both runs, main and post, must be free of it.
      for (const [log, password] of [
        [refused.log + refused.postLog, wrong],
        [pulled.log + pulled.postLog, auth.password]
      ] as const) {
        expect(log).toContain(`::add-mask::${password}`)
        const shown = log.split('\n').filter((line) => !line.startsWith('::add-mask::'))
        expect(shown.filter((line) => line.includes(password))).toEqual([])
      }
    } finally {
      await removeRegistryImages(docker, prefix)
    }
  })
})
