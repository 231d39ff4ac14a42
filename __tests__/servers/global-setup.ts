import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'

/**
 * Starts every real peer the tests talk to (listed in serve.ts), on free
 * loopback ports, once per run, in a child process. Nothing here skips: a
 * server that cannot start fails the whole run with its reason, since a test
 * that silently skipped would prove nothing.
 */
export default async function globalSetup(): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', '__tests__/servers/serve.ts'], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: process.env
  })
  ;(globalThis as { __servers?: ChildProcess }).__servers = child
  let errors = ''
  child.stderr!.on('data', (chunk: Buffer) => {
    errors += chunk
    process.stderr.write(chunk)
  })
  const env = await new Promise<Record<string, string>>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! })
    lines.on('line', (line) => {
      if (line.startsWith('READY ')) resolve(JSON.parse(line.slice(6)) as Record<string, string>)
    })
    child.on('exit', (code) =>
      reject(new Error(`The test servers could not start (exit ${code}):\n${errors.slice(-4000)}`))
    )
  })
  Object.assign(process.env, env)
}
