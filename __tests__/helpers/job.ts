import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import Docker from 'dockerode'
import { RUN_LABEL } from '../../src/executor/engine.js'
import { runJob, type JobOutcome } from '../../src/job.js'
import { parseJobSpec } from '../../src/spec/job-spec.js'
import { BUSYBOX_IMAGE } from '../servers/images.js'
import { actionInputs } from './inputs.js'
import { collectingLog } from './log.js'

export type TestJob = JobOutcome & { live: string; log: string[] }

/**
 * A sandbox for running real jobs: its own workspace and RUNNER_TEMP, the
 * busybox test image by default, live output collected instead of printed.
 */
export function jobSandbox(name: string) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `cod-${name}-`))
  const workspace = path.join(root, 'workspace')
  fs.mkdirSync(workspace, { recursive: true })
  let runs = 0

  async function job(values: Record<string, string>): Promise<TestJob> {
    const spec = parseJobSpec(actionInputs({ image: BUSYBOX_IMAGE, pull: 'never', ...values }), {
      workspace,
      runnerTemp: path.join(root, 'temp'),
      uid: process.getuid!(),
      gid: process.getgid!(),
      runId: `${name}-${process.pid}-${++runs}`
    })
    let live = ''
    const log = collectingLog()
    const outcome = await runJob(spec, log, {
      echo: { write: (chunk) => void (live += chunk.toString()), end: () => {} },
      stopGraceSeconds: 2
    })
    return { ...outcome, live, log: log.lines }
  }

  return {
    root,
    workspace,
    job,
    leftoverContainers: () => leftoverContainers(`${name}-${process.pid}-`),
    cleanup: () => fs.rmSync(root, { recursive: true, force: true })
  }
}

/**
 * Containers with our label whose run ID starts with `runIdPrefix`: after any
 * test this must be empty. (Test files run in parallel, so each looks only at
 * its own runs.)
 */
export async function leftoverContainers(runIdPrefix: string, docker = new Docker()): Promise<string[]> {
  const left = await docker.listContainers({ all: true, filters: { label: [RUN_LABEL] } })
  return left.filter((c) => c.Labels[RUN_LABEL]?.startsWith(runIdPrefix)).flatMap((c) => c.Names)
}

export const readText = (file: string) => fs.readFileSync(file, 'utf8')
