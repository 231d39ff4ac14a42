import type { Log } from '../storage/types.js'

export type { Log } from '../storage/types.js'

/** What one publisher hands back: step outputs and lines for the summary. */
export interface Published {
  publisher: 'ipfs' | 'artifact'
  outputs: Record<string, string>
}

export interface PublishContext {
  /** The results folder: stdout, stderr, exitCode and one folder per output volume. */
  resultsDir: string
  /** Scratch folder beside the results (manifest.json and the CAR go here). */
  workDir: string
  log: Log
}
