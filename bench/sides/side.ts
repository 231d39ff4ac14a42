/**
 * The frame of a bench side: it reads its one JSON argument, runs, and prints
 * `{"ms": …}` as its last line, where ms is what `timed` measured.
 */
export function input<T>(): T {
  return JSON.parse(process.argv[2] ?? '{}') as T
}

export async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now()
  await work()
  return performance.now() - started
}

export function report(ms: number, extra: Record<string, unknown> = {}): void {
  process.stdout.write(`\n${JSON.stringify({ ms, ...extra })}\n`)
}
