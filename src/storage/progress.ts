import { formatBytes } from '../format.js'
import type { Log } from './types.js'

/** How often a long transfer reports, so a slow input is visibly alive. */
export const PROGRESS_INTERVAL_MS = 5_000

/**
 * Reports bytes so far and the average rate at most once per interval. It is
 * driven by the transfer itself (no timer), so nothing is left running when a
 * download fails.
 */
export class Progress {
  private readonly started = Date.now()
  private lastReport = this.started
  bytes = 0

  constructor(
    private readonly log: Log,
    private readonly describe: (bytes: number, rate: string) => string,
    private readonly intervalMs = PROGRESS_INTERVAL_MS
  ) {}

  add(bytes: number): void {
    this.bytes += bytes
    const now = Date.now()
    if (now - this.lastReport < this.intervalMs) return
    this.lastReport = now
    this.log.info(
      this.describe(this.bytes, `${formatBytes(this.bytes / Math.max((now - this.started) / 1000, 0.001))}/s`)
    )
  }
}
