import fs from 'node:fs/promises'
import path from 'node:path'
import type { InputSource, InputSpec } from '../spec/job-spec.js'
import type { Log, SourceSettings, StagedInput, StagedSource, Stager } from './types.js'
import { formatBytes } from '../format.js'
import { stageHttp } from './http.js'
import { stageIpfs } from './ipfs.js'
import { stageS3 } from './s3.js'
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

/** One line per scheme: a new source is one module plus one entry here. */
function stagers(workspace: string): Stagers {
  const notYet =
    (scheme: string): Stager =>
    async () => {
      throw new Error(`${scheme} inputs are not supported yet.`)
    }
  return {
    workspace: (request) => stageWorkspace(request, workspace),
    ipfs: notYet('ipfs://'),
    http: notYet('http(s)://'),
    s3: notYet('s3://')
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
      staged.push({ ...result, spec, mountPath: await mountPathFor(spec, result) })
    }
  } catch (error) {
    await fs.rm(plan.stagingRoot, { recursive: true, force: true })
    throw error
  }
  return staged
}

/** Bacalhau's rule: a folder is mounted at the target; a file inside it, unless the target names a file. */
async function mountPathFor(spec: InputSpec, source: StagedSource): Promise<string> {
  const stats = await fs.stat(source.hostPath)
  if (stats.isDirectory() || spec.targetIsFile) return spec.target
  return path.posix.join(spec.target, path.basename(source.hostPath))
}
