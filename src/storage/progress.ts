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
    this.log.info(this.describe(this.bytes, `${formatSize(this.bytes / Math.max((now - this.started) / 1000, 0.001))}/s`))
  }
}

/** Like formatBytes in storage/index.ts, which cannot be imported here without a cycle. */
export function formatSize(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${unit === 0 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`
}
