import fs from 'node:fs/promises'
import type { JobOutcome } from '../job.js'
import { formatBytes } from '../format.js'

const STDERR_TAIL_LINES = 20
const STDERR_TAIL_BYTES = 4096

/**
 * Why the step fails, or undefined when it succeeds. A timeout, an OOM kill or
 * a kill from outside always fails; a non-zero exit code fails only with
 * `fail-on-exit-code`.
 */
export async function failureMessage(outcome: JobOutcome): Promise<string | undefined> {
  const { container, spec, results } = outcome
  let reason: string | undefined
  if (container.timedOut) {
    reason = `The container was stopped when the ${spec.timeoutMs! / 1000} s timeout was reached (exit code ${container.exitCode}); its partial results are in ${results.dir}.`
  } else if (container.oomKilled) {
    reason = `The container ran out of memory${spec.memoryBytes ? ` (limit ${formatBytes(spec.memoryBytes)})` : ''} and was killed (exit code ${container.exitCode}); raise 'memory' or use less.`
  } else if (container.killedExternally) {
    reason = `The container was killed from outside this action (exit code ${container.exitCode}), by docker kill, docker rm -f or the like from another process on the runner; its partial results are in ${results.dir}.`
  } else if (container.exitCode !== 0 && spec.failOnExitCode) {
    reason = `The container exited with code ${container.exitCode}.`
  }
  if (!reason) return undefined
  const tail = await stderrTail(results.stderr)
  return tail ? `${reason}\nLast lines of stderr:\n${tail}` : reason
}

async function stderrTail(file: string): Promise<string> {
  const handle = await fs.open(file, 'r')
  try {
    const { size } = await handle.stat()
    const length = Math.min(size, STDERR_TAIL_BYTES)
    const buffer = Buffer.alloc(length)
    await handle.read(buffer, 0, length, size - length)
    return buffer.toString('utf8').trimEnd().split('\n').slice(-STDERR_TAIL_LINES).join('\n')
  } finally {
    await handle.close()
  }
}

/** Bacalhau cuts stdout and stderr silently; we say so. */
export function truncationWarnings(outcome: JobOutcome): string[] {
  const { stdout, stderr } = outcome.container
  return Object.entries({ stdout, stderr })
    .filter(([, stream]) => stream.truncated)
    .map(
      ([name, stream]) =>
        `The container wrote ${formatBytes(stream.bytes)} to ${name}; the results file keeps the first ${formatBytes(stream.keptBytes)}.`
    )
}
