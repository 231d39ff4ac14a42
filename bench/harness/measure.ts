/** One run of one side. */
export interface Sample {
  ms: number
  /** Peak resident set size of the side's process, in bytes. */
  rssBytes?: number
}

export type Side = () => Promise<Sample>

/**
 * How a scenario is judged, always as the action's figure over the baseline's:
 * - `time`: median time, lower is better (target is a maximum);
 * - `throughput`: the same bytes moved, so the ratio is baseline time over
 *   action time, higher is better (target is a minimum);
 * - `rss`: median peak RSS, lower is better (target is a maximum).
 */
export type Metric = 'time' | 'throughput' | 'rss'

export interface Comparison {
  id: string
  title: string
  metric: Metric
  /** For `time` and `rss` a maximum ratio, for `throughput` a minimum. */
  target: number
  /** Bytes one run moves, to print a rate; optional. */
  bytes?: number
  actionLabel: string
  baselineLabel: string
  action: Side
  baseline: Side
  /** Runs after every sample of either side (untimed): unpin, delete, reset. */
  afterEach?: () => Promise<void>
  /** An absolute limit the action's peak RSS must stay under, in bytes. */
  rssLimitBytes?: number
}

export interface Stats {
  median: number
  min: number
  max: number
  samples: number[]
}

export interface SideResult {
  label: string
  ms: Stats
  rssBytes?: Stats
  /** Median rate in bytes per second, when the scenario moves a known amount. */
  bytesPerSecond?: number
}

export interface ComparisonResult {
  id: string
  title: string
  metric: Metric
  target: number
  bytes?: number
  runs: number
  action: SideResult
  baseline: SideResult
  /** The action's figure over the baseline's, as `metric` defines it. */
  ratio: number
  /** The ratio meets its target. */
  ratioMet: boolean
  /** The ratio and the RSS limit (when there is one) are both met. */
  met: boolean
  rssLimitBytes?: number
  rssLimitMet?: boolean
  note?: string
}

export function stats(values: number[]): Stats {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
  return { median, min: sorted[0]!, max: sorted.at(-1)!, samples: values }
}

/**
 * One warm-up run of each side, then `runs` runs of each, alternating and
 * swapping which side goes first every round (ABBA), so that load from other
 * work on the machine, and caches warmed by the side before, fall on both.
 */
export async function compare(
  comparison: Comparison,
  runs: number,
  progress: (line: string) => void
): Promise<ComparisonResult> {
  const { action, baseline } = comparison
  const after = comparison.afterEach ?? (async () => {})
  const once = async (side: Side, label: string, round: string): Promise<Sample> => {
    const sample = await side()
    await after()
    const rss = sample.rssBytes === undefined ? '' : `, ${(sample.rssBytes / 2 ** 20).toFixed(0)} MiB RSS`
    progress(`  ${round} ${label}: ${sample.ms.toFixed(0)} ms${rss}`)
    return sample
  }
  await once(action, 'action', 'warm-up')
  await once(baseline, 'baseline', 'warm-up')
  const actionSamples: Sample[] = []
  const baselineSamples: Sample[] = []
  for (let round = 0; round < runs; round++) {
    const label = `run ${round + 1}/${runs}`
    if (round % 2 === 0) {
      actionSamples.push(await once(action, 'action', label))
      baselineSamples.push(await once(baseline, 'baseline', label))
    } else {
      baselineSamples.push(await once(baseline, 'baseline', label))
      actionSamples.push(await once(action, 'action', label))
    }
  }
  const side = (label: string, samples: Sample[]): SideResult => {
    const ms = stats(samples.map((s) => s.ms))
    const rss = samples.every((s) => s.rssBytes !== undefined) ? stats(samples.map((s) => s.rssBytes!)) : undefined
    return {
      label,
      ms,
      ...(rss ? { rssBytes: rss } : {}),
      ...(comparison.bytes ? { bytesPerSecond: comparison.bytes / (ms.median / 1000) } : {})
    }
  }
  const a = side(comparison.actionLabel, actionSamples)
  const b = side(comparison.baselineLabel, baselineSamples)
  let ratio: number
  if (comparison.metric === 'time') ratio = a.ms.median / b.ms.median
  else if (comparison.metric === 'throughput') ratio = b.ms.median / a.ms.median
  else ratio = a.rssBytes!.median / b.rssBytes!.median
  const met = comparison.metric === 'throughput' ? ratio >= comparison.target : ratio <= comparison.target
  const limit = comparison.rssLimitBytes
  const rssLimitMet =
    limit === undefined ? undefined : Math.max(a.rssBytes?.max ?? Infinity, b.rssBytes?.max ?? Infinity) <= limit
  return {
    id: comparison.id,
    title: comparison.title,
    metric: comparison.metric,
    target: comparison.target,
    ...(comparison.bytes ? { bytes: comparison.bytes } : {}),
    runs,
    action: a,
    baseline: b,
    ratio,
    ratioMet: met,
    met: met && rssLimitMet !== false,
    ...(limit !== undefined ? { rssLimitBytes: limit, rssLimitMet } : {})
  }
}
