import { randomBytes } from 'node:crypto'

/**
 * Every container and job the bench starts has a run ID (the executor's
 * run label) that starts with this, so an interrupted bench removes its own
 * leftovers and nothing the tests of other work started.
 */
const PREFIX = 'bench-'

export function benchRunId(): string {
  return `${PREFIX}${process.pid}-${randomBytes(4).toString('hex')}`
}

export function isBenchRun(runId: string | undefined): boolean {
  return runId?.startsWith(PREFIX) ?? false
}
