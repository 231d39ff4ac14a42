import { execFile } from 'node:child_process'
import path from 'node:path'
import { promisify } from 'node:util'
import type { RunningServer } from './types.js'

const run = promisify(execFile)
const SCRIPT = path.resolve('script/setup-radosgw.sh')

/**
 * Ceph's RADOS Gateway, so S3 requests are signed and checked for real. The
 * script prints COD_S3_* lines; its progress and, on failure, the daemons'
 * log tails are on stderr, which becomes the reason the setup throws.
 */
export async function startS3(): Promise<RunningServer> {
  let stdout: string
  try {
    ;({ stdout } = await run('bash', [SCRIPT, 'start'], { timeout: 300_000, maxBuffer: 16 * 1024 * 1024 }))
  } catch (error) {
    const { stderr, message } = error as { stderr?: string; message: string }
    throw new Error(`script/setup-radosgw.sh failed: ${stderr?.trim() || message}`)
  }
  const env: Record<string, string> = {}
  for (const line of stdout.split('\n')) {
    const match = /^(COD_S3_[A-Z_]+)=(.*)$/.exec(line.trim())
    if (match) env[match[1]!] = match[2]!
  }
  const dir = env.COD_S3_DIR
  for (const name of ['COD_S3_ENDPOINT', 'COD_S3_ACCESS_KEY', 'COD_S3_SECRET_KEY', 'COD_S3_DIR']) {
    if (!env[name]) {
      if (dir) await run('bash', [SCRIPT, 'stop', dir]).catch(() => {})
      throw new Error(`script/setup-radosgw.sh printed no ${name}; it printed: ${stdout}`)
    }
  }
  return {
    env,
    stop: async () => {
      await run('bash', [SCRIPT, 'stop', dir!])
    }
  }
}
