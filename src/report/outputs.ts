import * as core from '@actions/core'
import type { JobOutcome } from '../job.js'
import { isPartial } from '../results/manifest.js'

/** Every step output is set here, and only here. */
export function setOutputs(outcome: JobOutcome, published: Record<string, string>): void {
  core.setOutput('exit-code', String(outcome.container.exitCode))
  core.setOutput('results-dir', outcome.results.dir)
  core.setOutput('image-digest', outcome.image.digest)
  core.setOutput('duration-ms', String(outcome.container.durationMs))
  core.setOutput('partial', String(isPartial(outcome)))
  for (const [name, value] of Object.entries(published)) core.setOutput(name, value)
}
