import { randomBytes } from 'node:crypto'
import os from 'node:os'
import * as core from '@actions/core'
import { runJob } from './job.js'
import { stepLog } from './log.js'
import { publishResults } from './publishers/index.js'
import { failureMessage, truncationWarnings } from './report/failure.js'
import { setOutputs } from './report/outputs.js'
import { commentOnPullRequest, commentReportOf } from './report/pr-comment.js'
import { writeSummary } from './report/summary.js'
import { parseJobSpec, secretsOf, type RunnerContext } from './spec/job-spec.js'
import { saveRun } from './state.js'

/** The action: inputs → job spec → staged inputs → container → results → outputs. */
export async function run(): Promise<void> {
  try {
    const spec = parseJobSpec((name) => core.getInput(name), runnerContext())
    for (const secret of secretsOf(spec)) core.setSecret(secret)
    saveRun(spec)
    const outcome = await runJob(spec, stepLog)
    for (const warning of truncationWarnings(outcome)) core.warning(warning)
    const published = await publishResults(outcome, stepLog)
    setOutputs(outcome, published.outputs)
    // A summary that cannot be written must not hide why the step fails.
    await writeSummary(outcome, published.outputs).catch((error: Error) =>
      core.warning(`Could not write the step summary: ${error.message}`)
    )
    await commentOnPullRequest(await commentReportOf(outcome, published.outputs), spec.comment, stepLog)
    const failures = [await failureMessage(outcome), ...published.failures].filter(Boolean)
    if (failures.length > 0) core.setFailed(failures.join('\n'))
  } catch (error) {
    core.setFailed(error instanceof Error ? error.message : String(error))
  }
}

function runnerContext(): RunnerContext {
  return {
    workspace: process.env.GITHUB_WORKSPACE ?? process.cwd(),
    runnerTemp: process.env.RUNNER_TEMP ?? os.tmpdir(),
    uid: process.getuid?.() ?? 0,
    gid: process.getgid?.() ?? 0,
    // Unique per step, so two runs in one job never share a name or a folder.
    runId: `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`
  }
}
