// The real peers of the test run, started in a process of their own (Jest's
// global setup cannot import TypeScript modules). The global setup runs this
// with tsx, reads one READY line with the servers' environment, and stops it
// with SIGTERM; it also stops when its stdin closes, so a crashed Jest run
// leaves nothing behind.
import { startArtifactService } from './artifact.js'
import { startDocker } from './docker.js'
import { startIpfs } from './ipfs.js'
import { startRegistry } from './registry.js'
import { startS3 } from './s3.js'
import type { RunningServer } from './types.js'

/** A new peer is one module plus one line here. */
const servers: Array<[name: string, start: () => Promise<RunningServer>]> = [
  ['docker', startDocker],
  ['ipfs', startIpfs],
  ['artifact', startArtifactService],
  ['s3', startS3],
  ['registry', startRegistry]
]

const running: RunningServer[] = []
let stopping: Promise<void> | undefined

function stopAll(): Promise<void> {
  stopping ??= Promise.allSettled(running.reverse().map((server) => server.stop())).then(() => undefined)
  return stopping
}

async function main(): Promise<void> {
  // COD_TEST_SERVERS=docker,s3 starts only those, for a quick local run of a
  // few test files; CI leaves it unset and so starts them all.
  const only = process.env.COD_TEST_SERVERS?.split(',')
  const env: Record<string, string> = {}
  for (const [name, start] of servers) {
    if (only && !only.includes(name)) continue
    const started = Date.now()
    try {
      const server = await start()
      running.push(server)
      Object.assign(env, server.env)
      Object.assign(process.env, server.env)
      process.stderr.write(`[setup] ${name} ready in ${Date.now() - started} ms\n`)
    } catch (error) {
      await stopAll()
      process.stderr.write(`The ${name} test server could not start: ${(error as Error).stack ?? error}\n`)
      process.exit(1)
    }
  }
  process.stdout.write(`READY ${JSON.stringify(env)}\n`)
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => void stopAll().then(() => process.exit(0)))
}
process.stdin.on('end', () => void stopAll().then(() => process.exit(0)))
process.stdin.resume()
void main()
