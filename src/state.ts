import * as core from '@actions/core'
import type { JobSpec } from './spec/job-spec.js'

/**
 * action.yml runs the same bundle as `main` and `post` (as actions/checkout
 * does); the state saved by the first run tells the second which it is and
 * what to clean up.
 */
export const isPost = core.getState('isPost') === 'true'

export interface SavedRun {
  runId: string
  /** Scratch folder: staged inputs, and the results when the action chose their place. */
  workDir: string
}

export function markMainStarted(): void {
  core.saveState('isPost', 'true')
}

export function saveRun(spec: JobSpec): void {
  const saved: SavedRun = { runId: spec.runId, workDir: spec.workDir }
  core.saveState('run', JSON.stringify(saved))
}

export function loadRun(): SavedRun | undefined {
  const raw = core.getState('run')
  return raw ? (JSON.parse(raw) as SavedRun) : undefined
}
