import { randomFillSync } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'

const BLOCK = 4 * 2 ** 20

/** Writes `bytes` of random data (incompressible, so no side gains from compression) to `file`. */
export function writeRandomFile(file: string, bytes: number): void {
  const buffer = Buffer.allocUnsafe(Math.min(BLOCK, Math.max(bytes, 1)))
  const fd = fs.openSync(file, 'w')
  try {
    for (let left = bytes; left > 0;) {
      const size = Math.min(left, buffer.length)
      randomFillSync(buffer, 0, size)
      fs.writeSync(fd, buffer, 0, size)
      left -= size
    }
  } finally {
    fs.closeSync(fd)
  }
}

/**
 * A folder of `files` random files totalling exactly `bytes`, spread over ten
 * subfolders, with sizes that are not multiples of the 256 KiB chunk.
 */
export function writeRandomFolder(dir: string, bytes: number, files: number): void {
  const folders = Math.min(10, files)
  const base = Math.floor(bytes / files)
  const extra = bytes - base * files
  for (let i = 0; i < files; i++) {
    const sub = path.join(dir, `part-${String(i % folders).padStart(2, '0')}`)
    fs.mkdirSync(sub, { recursive: true })
    writeRandomFile(path.join(sub, `file-${String(i).padStart(4, '0')}.bin`), base + (i < extra ? 1 : 0))
  }
}

/** Every regular file under `dir` (or `dir` itself, when it is a file), sorted. */
export function filesUnder(dir: string): string[] {
  if (fs.statSync(dir).isFile()) return [dir]
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort()
}
