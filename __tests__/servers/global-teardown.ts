import type { RunningServer } from './types.js'

export default async function globalTeardown(): Promise<void> {
  const running = (globalThis as { __servers?: RunningServer[] }).__servers ?? []
  await Promise.allSettled(running.reverse().map((server) => server.stop()))
}
