import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'

let built: string | undefined

/**
 * The whole-step scenarios run the bundle as the runner does. It is built
 * from the src/ in front of you into the bench's scratch folder, once per
 * bench (so the figures never come from a stale or checked-out dist/, and
 * the worktree's dist/ is left alone), beside a copy of action.yml.
 */
export function actionDir(tmp: string, log: (line: string) => void): string {
  if (built) return built
  const dir = path.join(tmp, 'action')
  log('  bundling src/ (script/build.mjs --out) for the whole-step runs')
  execFileSync(process.execPath, ['script/build.mjs', '--out', path.join(dir, 'dist')], { stdio: 'inherit' })
  fs.copyFileSync('action.yml', path.join(dir, 'action.yml'))
  built = dir
  return dir
}
