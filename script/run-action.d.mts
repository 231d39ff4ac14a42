export interface ActionRun {
  exitCode: number | null
  postExitCode: number | null
  log: string
  postLog: string
  outputs: Record<string, string>
  state: Record<string, string>
  summary: string
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
}): Promise<ActionRun>
