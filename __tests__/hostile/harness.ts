import { randomInt } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import Docker from 'dockerode'
import yauzl from 'yauzl'
import { runAction, type ActionRun, type MainStepResult } from '../../script/run-action.mjs'
import { backendIds, runtimeToken, type RecordedArtifact, type RecordedRequest } from '../servers/artifact.js'
import { BUSYBOX_IMAGE } from '../servers/images.js'

/**
 * The hostile suite runs the built bundle as the runner does (dist/index.js,
 * main then post, INPUT_* variables and file commands), so every check is on
 * what a user would really see: the step log, the outputs, the summary, what
 * is left on the runner.
 */

/** The label every container carries with the workflow run's id (GITHUB_RUN_ID). */
const GITHUB_RUN_LABEL = 'compute-over-data.github-run'

const docker = new Docker()

/** What a run left on the runner at one moment. */
export interface Leftovers {
  /** Containers, any state, labelled with this step's unique GITHUB_RUN_ID. */
  containers: string[]
  /** Files (not folders) under RUNNER_TEMP, relative, except the runner's own file commands. */
  tempFiles: string[]
}

export interface StepRun extends ActionRun {
  runnerTemp: string
  githubRunId: string
  /** The `::error::` messages of the main step, decoded. */
  errors: string[]
  /** GITHUB_OUTPUT right after the main step. */
  mainOutputs: Record<string, string>
  afterMain: Leftovers
  afterPost: Leftovers
}

export interface StepOptions {
  inputs: Record<string, string>
  env?: Record<string, string>
  cancelWhen?: string
  cancelSignal?: NodeJS.Signals
  /** Use this RUNNER_TEMP instead of a fresh one (e.g. a small tmpfs). */
  runnerTemp?: string
  /** The workflow run's id; two steps of one job share it. Unique per step unless given. */
  githubRunId?: string
  /** Called between main and post, with what main left. */
  afterMain?: (main: MainStepResult, left: Leftovers) => Promise<void>
}

/** A folder holding action.yml and dist/ and nothing else, a workspace, and a step runner. */
export function hostileSandbox(name: string) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `cod-hostile-${name}-`))
  const actionDir = path.join(root, 'action')
  const workspace = path.join(root, 'workspace')
  fs.mkdirSync(actionDir)
  fs.cpSync('dist', path.join(actionDir, 'dist'), { recursive: true })
  fs.copyFileSync('action.yml', path.join(actionDir, 'action.yml'))
  fs.mkdirSync(workspace)
  // Each step loads an 11 MB bundle twice; a compile cache roughly halves that.
  const compileCache = path.join(root, 'compile-cache')

  async function step(options: StepOptions): Promise<StepRun> {
    const runnerTemp = options.runnerTemp ?? fs.mkdtempSync(path.join(root, 'temp-'))
    // Unique per step, so the container check sees this step's containers only.
    const githubRunId = options.githubRunId ?? newRunId()
    let afterMain: Leftovers | undefined
    let mainOutputs: Record<string, string> = {}
    const result = await runAction({
      actionDir,
      workspace,
      runnerTemp,
      cancelWhen: options.cancelWhen,
      cancelSignal: options.cancelSignal,
      env: { GITHUB_RUN_ID: githubRunId, NODE_COMPILE_CACHE: compileCache, ...options.env },
      inputs: { image: BUSYBOX_IMAGE, pull: 'never', 'artifact-name': '', ...options.inputs },
      afterMain: async (main) => {
        mainOutputs = main.outputs
        afterMain = await leftovers(githubRunId, runnerTemp)
        await options.afterMain?.(main, afterMain)
      }
    })
    return {
      ...result,
      runnerTemp,
      githubRunId,
      errors: errorsOf(result.log),
      mainOutputs,
      afterMain: afterMain!,
      afterPost: await leftovers(githubRunId, runnerTemp)
    }
  }

  return {
    root,
    workspace,
    step,
    cleanup: () => fs.rmSync(root, { recursive: true, force: true })
  }
}

export const newRunId = (): string => String(randomInt(1e9, 1e10))

export async function leftovers(githubRunId: string, runnerTemp: string): Promise<Leftovers> {
  const containers = await docker.listContainers({
    all: true,
    filters: { label: [`${GITHUB_RUN_LABEL}=${githubRunId}`] }
  })
  return { containers: containers.flatMap((c) => c.Names), tempFiles: filesUnder(runnerTemp) }
}

/** Files, links and the like under `dir`, relative; links are never followed (a container may link to /). */
function filesUnder(dir: string): string[] {
  const found: string[] = []
  const walk = (folder: string): void => {
    for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
      const full = path.join(folder, entry.name)
      if (entry.isDirectory()) walk(full)
      else found.push(path.relative(dir, full))
    }
  }
  if (fs.existsSync(dir)) walk(dir)
  return found.filter((file) => !file.startsWith('_runner_file_commands')).sort()
}

/** `::error::` lines, with the runner's escapes (%25, %0D, %0A) undone. */
export function errorsOf(log: string): string[] {
  return log
    .split('\n')
    .filter((line) => line.startsWith('::error::'))
    .map((line) => line.slice('::error::'.length).replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%'))
}

/**
 * Thrown (and so counted by the tally reporter) when a run left a container,
 * a file under RUNNER_TEMP, or claimed an output after failing.
 */
export class LeftBehind extends Error {
  constructor(what: string) {
    super(`left behind: ${what}`)
    this.name = 'LeftBehind'
  }
}

/** After main: no container, no file under RUNNER_TEMP. After post: the same. */
export function expectNothingLeft(run: StepRun, { afterMain = true } = {}): void {
  const moments: Array<[string, Leftovers]> = [['after the post step', run.afterPost]]
  if (afterMain) moments.unshift(['after the main step', run.afterMain])
  for (const [when, left] of moments) {
    if (left.containers.length > 0) throw new LeftBehind(`containers ${left.containers.join(', ')} ${when}`)
    if (left.tempFiles.length > 0) throw new LeftBehind(`files under RUNNER_TEMP ${when}: ${left.tempFiles.join(', ')}`)
  }
}

/** A failed step must not have claimed any output. */
export function expectNoOutputs(run: StepRun): void {
  const claimed = Object.keys(run.mainOutputs)
  if (claimed.length > 0) throw new LeftBehind(`outputs claimed by a failed step: ${claimed.join(', ')}`)
}

/**
 * Thrown when a run's failure is not one clear line: no error, several, a
 * multi-line one, or one that does not say what was expected.
 */
export class UnclearError extends Error {
  constructor(problem: string) {
    super(`unclear error: ${problem}`)
    this.name = 'UnclearError'
  }
}

/** The step failed with exactly one error, on one line, matching `expected`. */
export function expectOneClearError(run: StepRun, expected: RegExp): string {
  if (run.exitCode !== 1) throw new UnclearError(`the step exited with ${run.exitCode}, not 1`)
  if (run.errors.length !== 1) throw new UnclearError(`${run.errors.length} errors: ${JSON.stringify(run.errors)}`)
  const [error] = run.errors as [string]
  if (/[\r\n]/.test(error)) throw new UnclearError(`the error has more than one line: ${JSON.stringify(error)}`)
  if (!expected.test(error)) throw new UnclearError(`${JSON.stringify(error)} does not match ${expected}`)
  return error
}

/** The artifact variables of a fresh workflow run on the test results service. */
export function artifactEnv() {
  const resultsUrl = process.env.COD_RESULTS_URL
  if (!resultsUrl) throw new Error('COD_RESULTS_URL is not set: the hostile suite needs every test server.')
  const token = runtimeToken()
  const run = backendIds(token)!.run
  const admin = async <T>(route: string, method = 'GET'): Promise<T> => {
    const separator = route.includes('?') ? '&' : '?'
    const response = await fetch(new URL(`/_test/${route}${separator}run=${run}`, resultsUrl), { method })
    if (!response.ok) throw new Error(`the artifact service answered ${response.status} to ${route}`)
    return (await response.json()) as T
  }
  return {
    env: { ACTIONS_RESULTS_URL: resultsUrl, ACTIONS_RUNTIME_TOKEN: token },
    listArtifacts: () => admin<RecordedArtifact[]>('artifacts'),
    /** Makes the service answer `method` with `status` the next `count` times. */
    fail: (method: string, status: number, count: number) =>
      admin(`fail?method=${method}&status=${status}&count=${count}`, 'POST'),
    requests: () => admin<RecordedRequest[]>('requests')
  }
}

/** Every entry of an artifact's zip: files by their bytes, folders as 'dir'. */
export async function artifactEntries(artifact: RecordedArtifact): Promise<Map<string, Buffer | 'dir'>> {
  const zip = Buffer.from(await (await fetch(artifact.blobUrl)).arrayBuffer())
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(zip, { lazyEntries: true, decodeStrings: true }, (error, archive) => {
      if (error) return reject(error)
      const entries = new Map<string, Buffer | 'dir'>()
      archive.on('entry', (entry: yauzl.Entry) => {
        if (entry.fileName.endsWith('/')) {
          entries.set(entry.fileName.slice(0, -1), 'dir')
          return archive.readEntry()
        }
        archive.openReadStream(entry, (streamError, stream) => {
          if (streamError) return reject(streamError)
          const chunks: Buffer[] = []
          stream.on('data', (chunk: Buffer) => chunks.push(chunk))
          stream.on('end', () => {
            entries.set(entry.fileName, Buffer.concat(chunks))
            archive.readEntry()
          })
        })
      })
      archive.on('end', () => resolve(entries))
      archive.on('error', reject)
      archive.readEntry()
    })
  })
}
