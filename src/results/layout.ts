import fs from 'node:fs/promises'
import path from 'node:path'
import type { JobSpec, OutputVolume } from '../spec/job-spec.js'

/** Bacalhau's results layout: these three files plus one folder per output volume. */
export interface ResultsLayout {
  dir: string
  stdout: string
  stderr: string
  exitCode: string
  /** Host folder of each output volume, bound read-write at its container path. */
  volumes: Array<OutputVolume & { hostPath: string }>
}

/**
 * Creates the results folder. A folder the user named must be empty or
 * absent: results never overwrite what the user already had there.
 */
export async function createResultsFolder(spec: JobSpec): Promise<ResultsLayout> {
  const dir = spec.resultsDir
  const existing = await fs.readdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return []
    throw new Error(`Input 'results-dir': cannot read ${dir}: ${error.message}`)
  })
  if (existing.length > 0) {
    throw new Error(
      `Input 'results-dir': ${dir} is not empty; name a new or empty folder so no file of yours is overwritten.`
    )
  }
  await fs.mkdir(dir, { recursive: true })
  const volumes = []
  for (const volume of spec.outputs) {
    const hostPath = path.join(dir, volume.name)
    await fs.mkdir(hostPath, { mode: 0o755 })
    await letContainerUserWrite(hostPath, spec.user)
    volumes.push({ ...volume, hostPath })
  }
  return {
    dir,
    stdout: path.join(dir, 'stdout'),
    stderr: path.join(dir, 'stderr'),
    exitCode: path.join(dir, 'exitCode'),
    volumes
  }
}

/**
 * The container runs as the runner's uid by default, which owns these folders
 * already. For another user, a root runner hands the folder over; otherwise
 * it is opened to everyone, since a non-root runner cannot chown.
 */
async function letContainerUserWrite(folder: string, user: string): Promise<void> {
  const [uid, gid] = user.split(':')
  if (uid === String(process.getuid?.())) return
  if (process.getuid?.() === 0 && /^\d+$/.test(uid!)) {
    await fs.chown(folder, Number(uid), /^\d+$/.test(gid ?? '') ? Number(gid) : Number(uid))
  } else {
    await fs.chmod(folder, 0o777)
  }
}

/** Bacalhau writes the bare number with no newline; readers rely on that. */
export async function writeExitCode(layout: ResultsLayout, exitCode: number): Promise<void> {
  await fs.writeFile(layout.exitCode, String(exitCode))
}
