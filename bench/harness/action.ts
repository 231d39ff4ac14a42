import fs from 'node:fs'
import path from 'node:path'
import { runAction } from '../../script/run-action.mjs'
import type { Sample } from './measure.js'
import { NODE } from './proc.js'

const TIMED_NODE = path.resolve('bench/harness/timed-node.mjs')

export interface StepRun extends Sample {
  outputs: Record<string, string>
}

/**
 * Runs dist/index.js as the runner does (script/run-action.mjs: every input,
 * the file commands, then the post step) and reports the main step's wall
 * time and peak RSS, measured around its Node process by GNU time.
 */
export async function runStep(options: {
  /** A folder holding action.yml and dist/ (see actionDir). */
  actionDir: string
  inputs: Record<string, string>
  workspace: string
  runnerTemp: string
  env?: Record<string, string>
}): Promise<StepRun> {
  fs.mkdirSync(options.runnerTemp, { recursive: true })
  const times = path.join(options.runnerTemp, 'bench-times')
  const run = await runAction({
    ...options,
    node: TIMED_NODE,
    env: { ...options.env, COD_BENCH_NODE: NODE, COD_BENCH_TIMES: times }
  })
  if (run.exitCode !== 0 || run.postExitCode !== 0) {
    throw new Error(`the action failed (main ${run.exitCode}, post ${run.postExitCode}):\n${run.log.slice(-3000)}`)
  }
  const main = fs.readFileSync(times, 'utf8').trim().split('\n')[0]!.split(' ')
  return { ms: Number(main[1]) / 1000, rssBytes: Number(main[2]) * 1024, outputs: run.outputs }
}
