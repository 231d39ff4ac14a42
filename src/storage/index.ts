import fs from 'node:fs/promises'
import path from 'node:path'
import type { InputSource, InputSpec } from '../spec/job-spec.js'
import type { Log, SourceSettings, StagedInput, StagedSource, Stager } from './types.js'
import { formatBytes } from '../format.js'
import { stageWorkspace } from './workspace.js'

export type { Log, SourceSettings, StagedInput } from './types.js'

export interface StagingPlan {
  inputs: InputSpec[]
  /** Each input gets a numbered folder under this one. */
  stagingRoot: string
  workspace: string
  settings: SourceSettings
  log: Log
}

type Stagers = { [K in InputSource['scheme']]: Stager<Extract<InputSource, { scheme: K }>> }

/**
 * One line per scheme: a new source is one module plus one entry here. The
 * remote sources are loaded when an input needs them, so a job with only
 * workspace inputs never loads the IPFS, S3 or HTTP clients.
 */
function stagers(workspace: string): Stagers {
  return {
    workspace: (request) => stageWorkspace(request, workspace),
    ipfs: async (request) => (await import('./ipfs.js')).stageIpfs(request),
    http: async (request) => (await import('./http.js')).stageHttp(request),
    s3: async (request) => (await import('./s3.js')).stageS3(request)
  }
}

/**
 * Stages every input in order, each in its own log group. On any failure the
 * staged folders are deleted before the error is thrown, so a job that cannot
 * get its data leaves nothing behind.
 */
export async function stageInputs(plan: StagingPlan): Promise<StagedInput[]> {
  const registry = stagers(plan.workspace)
  const staged: StagedInput[] = []
  try {
    for (const [index, spec] of plan.inputs.entries()) {
      const stagingDir = path.join(plan.stagingRoot, String(index))
      await fs.mkdir(stagingDir, { recursive: true })
      const started = Date.now()
      const result = await plan.log.group(`Input ${spec.line}`, async () => {
        const stage = registry[spec.source.scheme] as Stager
        const source = await stage({ source: spec.source, stagingDir, settings: plan.settings, log: plan.log })
        plan.log.info(`${formatBytes(source.bytes)} in ${((Date.now() - started) / 1000).toFixed(1)} s`)
        return source
      })
      staged.push({ ...result, spec, ...(await mountFor(spec, result, stagingDir)) })
    }
  } catch (error) {
    await fs.rm(plan.stagingRoot, { recursive: true, force: true })
    throw error
  }
  return staged
}

/**
 * Bacalhau's rule: a folder is mounted at the target; a file inside it, at
 * TARGET/<filename>, unless the target names a file. For a file inside the
 * target, the target is a folder of our own holding an empty mount point, so
 * that it is read-only too (not a writable folder that Docker would make in
 * the container), and the file is bound over that point. Nothing is linked or
 * copied, so a workspace on another filesystem than RUNNER_TEMP costs nothing.
 */
async function mountFor(
  spec: InputSpec,
  source: StagedSource,
  stagingDir: string
): Promise<Pick<StagedInput, 'hostPath' | 'mountPath' | 'file'>> {
  const stats = await fs.stat(source.hostPath)
  if (stats.isDirectory() || spec.targetIsFile) return { hostPath: source.hostPath, mountPath: spec.target }
  const folder = path.join(stagingDir, '.mount')
  await fs.mkdir(folder)
  const name = path.basename(source.hostPath)
  await fs.writeFile(path.join(folder, name), '', { mode: 0o444 })
  return {
    hostPath: folder,
    mountPath: spec.target,
    file: { hostPath: source.hostPath, mountPath: path.posix.join(spec.target, name) }
  }
}
