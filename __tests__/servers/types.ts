/** A real peer started once for the whole test run. */
export interface RunningServer {
  /** Environment variables that tell the tests where the server is. */
  env: Record<string, string>
  stop(): Promise<void>
}
