// A container that writes 2 GiB to stdout: the 1 GiB cap holds, the cut is
// recorded (manifest, warning, summary), the step log stops echoing at
// 64 MiB, and the action's memory stays flat. Its own file, so it runs beside
// the rest of the suite rather than after it.
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, it } from '@jest/globals'
import { hostileSandbox } from './harness.js'

const sandbox = hostileSandbox('flood')
afterAll(() => sandbox.cleanup())

const GiB = 2 ** 30
const MiB = 2 ** 20
// Far below the 1 GiB the results keep: a capture that buffered the stream,
// or echoed all of it, would need more than this many times over.
const MAX_RSS = 400 * MiB

interface Flood {
  run: Awaited<ReturnType<typeof sandbox.step>>
  stdoutBytes: number
  stderr: string
  manifest: { result: Record<string, unknown> }
  /** Peak resident set of the main step's process, in bytes. */
  peak: number
}

/** Runs a container that writes `mib` MiB of zeros to stdout, measuring the main step's memory. */
async function flood(mib: number): Promise<Flood> {
  // Each process of the step appends its peak resident set when it exits; main exits first.
  const peaks = path.join(sandbox.root, `peak-rss-${mib}.txt`)
  const preload = path.join(sandbox.root, 'peak-rss.cjs')
  fs.writeFileSync(
    preload,
    `process.on('exit', () => require('node:fs').appendFileSync(process.env.COD_PEAK_FILE, process.resourceUsage().maxRSS * 1024 + '\\n'))\n`
  )
  let kept: Omit<Flood, 'run' | 'peak'> | undefined
  const run = await sandbox.step({
    env: { NODE_OPTIONS: `--require ${preload}`, COD_PEAK_FILE: peaks },
    inputs: { run: `dd if=/dev/zero bs=1048576 count=${mib} 2>/dev/null; echo end-of-job >&2` },
    afterMain: async (main) => {
      const resultsDir = main.outputs['results-dir']!
      kept = {
        stdoutBytes: fs.statSync(path.join(resultsDir, 'stdout')).size,
        stderr: fs.readFileSync(path.join(resultsDir, 'stderr'), 'utf8'),
        manifest: JSON.parse(fs.readFileSync(path.join(path.dirname(resultsDir), 'manifest.json'), 'utf8'))
      }
    }
  })
  const [peak] = fs.readFileSync(peaks, 'utf8').trim().split('\n').map(Number)
  return { run, ...kept!, peak: peak! }
}

describe('container-side attacks', () => {
  it('handles 2 GiB on stdout: 1 GiB kept, the cut recorded, memory flat', async () => {
    const small = await flood(256)
    const big = await flood(2048)
    const { run } = big
    expect(run.errors).toEqual([])
    expect(run.exitCode).toBe(0)
    expect(big.stdoutBytes).toBe(GiB)
    expect(big.stderr).toBe('end-of-job\n')
    expect(big.manifest.result.stdout).toEqual({ bytes: 2 * GiB, keptBytes: GiB, truncated: true })
    expect(run.log).toContain(
      '::warning::The container wrote 2.0 GiB to stdout; the results file keeps the first 1.0 GiB.'
    )
    expect(run.summary).toContain('truncated: 2.0 GiB written, first 1.0 GiB kept')
    expect(run.log).toContain('(stdout past 64 MiB is kept in the results file only)')
    expect(run.log.length).toBeLessThan(65 * MiB)
    expect(small.manifest.result.stdout).toEqual({ bytes: 256 * MiB, keptBytes: 256 * MiB, truncated: false })

    // Flat: eight times the output costs less than 5% of the extra bytes in memory.
    console.log(
      `main step peak RSS: ${(small.peak / MiB).toFixed(0)} MiB with 256 MiB on stdout, ${(big.peak / MiB).toFixed(0)} MiB with 2 GiB`
    )
    expect(big.peak).toBeLessThan(MAX_RSS)
    expect(big.peak - small.peak).toBeLessThan(0.05 * (2048 - 256) * MiB)
    expect(run.afterPost).toEqual({ containers: [], tempFiles: [] })
    expect(small.run.afterPost).toEqual({ containers: [], tempFiles: [] })
  })
})
