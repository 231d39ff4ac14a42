export interface ActionRun {
  exitCode: number | null
  postExitCode: number | null
  log: string
  postLog: string
  outputs: Record<string, string>
  state: Record<string, string>
  summary: string
  /** GITHUB_OUTPUT, GITHUB_STATE, GITHUB_STEP_SUMMARY, GITHUB_ENV and GITHUB_PATH, as written. */
  fileCommands: Record<string, string>
}

export interface MainStepResult {
  exitCode: number | null
  log: string
  outputs: Record<string, string>
  state: Record<string, string>
  fileCommands: Record<string, string>
}

export function parseFileCommands(text: string): Record<string, string>

export function runAction(options: {
  inputs: Record<string, string>
  workspace: string
  runnerTemp: string
  actionDir?: string
  env?: Record<string, string>
  node?: string
  echo?: boolean
  cancelWhen?: string
  cancelSignal?: NodeJS.Signals
  afterMain?: (main: MainStepResult) => Promise<void>
}): Promise<ActionRun>
