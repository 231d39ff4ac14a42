import { startArtifactService } from './artifact.js'
import { startDocker } from './docker.js'
import { startIpfs } from './ipfs.js'
import type { RunningServer } from './types.js'

/**
 * Starts every real peer the tests talk to, on free loopback ports, once per
 * run. Nothing here skips: a server that cannot start fails the whole run with
 * its reason, since a test that silently skipped would prove nothing.
 */
const servers: Array<[name: string, start: () => Promise<RunningServer>]> = [
  ['docker', startDocker],
  ['ipfs', startIpfs],
  ['artifact', startArtifactService]
]

export default async function globalSetup(): Promise<void> {
  const running: RunningServer[] = []
  ;(globalThis as { __servers?: RunningServer[] }).__servers = running
  // COD_TEST_SERVERS=docker,s3 starts only those, for a quick local run of a
  // few test files; CI leaves it unset and so starts them all.
  const only = process.env.COD_TEST_SERVERS?.split(',')
  for (const [name, start] of servers) {
    if (only && !only.includes(name)) continue
    const started = Date.now()
    try {
      const server = await start()
      running.push(server)
      Object.assign(process.env, server.env)
      process.stderr.write(`[setup] ${name} ready in ${Date.now() - started} ms\n`)
    } catch (error) {
      await Promise.allSettled(running.map((server) => server.stop()))
      throw new Error(`The ${name} test server could not start: ${(error as Error).message}`)
    }
  }
}
