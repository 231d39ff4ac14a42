import type { ComparisonResult, SideResult, Stats } from './measure.js'

const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`

function seconds(stats: Stats): string {
  const f = (ms: number): string => (ms >= 10_000 ? (ms / 1000).toFixed(1) : (ms / 1000).toFixed(2))
  return `${f(stats.median)} s (${f(stats.min)}–${f(stats.max)})`
}

function side(result: SideResult): string {
  const rate = result.bytesPerSecond ? `, ${mib(result.bytesPerSecond)}/s` : ''
  const rss = result.rssBytes ? `, peak RSS ${mib(result.rssBytes.median)} (max ${mib(result.rssBytes.max)})` : ''
  return `${seconds(result.ms)}${rate}${rss}`
}

export function ratioText(result: ComparisonResult): string {
  const target = result.metric === 'throughput' ? `≥ ${result.target}` : `≤ ${result.target}`
  return `${result.ratio.toFixed(2)} (target ${target}) ${result.ratioMet ? 'met' : 'MISSED'}`
}

/** The console table: one block per comparison, medians with min–max. */
export function formatTable(results: ComparisonResult[]): string {
  const lines: string[] = []
  for (const result of results) {
    const what = result.metric === 'rss' ? 'peak RSS' : result.metric
    lines.push(`${result.title}  [${what}, ${result.runs} runs each]`)
    lines.push(`  action   ${result.action.label}: ${side(result.action)}`)
    lines.push(`  baseline ${result.baseline.label}: ${side(result.baseline)}`)
    lines.push(`  ratio    ${ratioText(result)}`)
    if (result.rssLimitBytes !== undefined) {
      lines.push(`  limit    peak RSS ≤ ${mib(result.rssLimitBytes)}: ${result.rssLimitMet ? 'met' : 'MISSED'}`)
    }
    if (result.note) lines.push(`  note     ${result.note}`)
    lines.push('')
  }
  return lines.join('\n')
}
