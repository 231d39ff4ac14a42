import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'

/**
 * The whole-step scenarios run dist/index.js, as the runner does. When a file
 * in src/ is newer than the bundle, the bundle is rebuilt first, so that the
 * figures are those of the code in front of you.
 */
export function ensureFreshDist(log: (line: string) => void): void {
  const bundle = path.resolve('dist/index.js')
  const built = fs.existsSync(bundle) ? fs.statSync(bundle).mtimeMs : 0
  const newest = Math.max(
    ...fs
      .readdirSync('src', { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => fs.statSync(path.join(entry.parentPath, entry.name)).mtimeMs)
  )
  if (newest <= built) return
  log('  dist/ is older than src/: running npm run build')
  execFileSync(process.execPath, ['script/build.mjs'], { stdio: 'inherit' })
}
