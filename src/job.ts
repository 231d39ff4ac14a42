import fs from 'node:fs/promises'
import path from 'node:path'
import { runContainer, type ContainerOutcome, type RunOptions } from './executor/container.js'
import { connectDocker } from './executor/engine.js'
import { prepareImage, type PreparedImage } from './executor/image.js'
import { createResultsFolder, writeExitCode, type ResultsLayout } from './results/layout.js'
import type { JobSpec } from './spec/job-spec.js'
import { stageInputs } from './storage/index.js'
import type { InputIdentity, Log } from './storage/types.js'

export interface JobOutcome {
  spec: JobSpec
  image: PreparedImage
  inputs: InputIdentity[]
  results: ResultsLayout
  container: ContainerOutcome
}

/**
 * The flow of one job: image, inputs, results folder, container. The image
 * comes first so a bad reference fails before any data is downloaded.
 */
export async function runJob(spec: JobSpec, log: Log, options: RunOptions = {}): Promise<JobOutcome> {
  const docker = await connectDocker()
  const image = await prepareImage(docker, spec, log)
  log.info(`Image ${spec.image.reference} is ${image.digest} (${image.platform}).`)
  const stagingRoot = path.join(spec.workDir, 'inputs')
  const inputs = await stageInputs({
    inputs: spec.inputs,
    stagingRoot,
    workspace: spec.workspace,
    settings: spec.sources,
    log
  })
  try {
    const results = await createResultsFolder(spec)
    const container = await runContainer(docker, { spec, image, inputs, results }, log, options)
    await writeExitCode(results, container.exitCode)
    return { spec, image, inputs: inputs.map((input) => input.identity), results, container }
  } finally {
    // Staged copies are only needed while the container runs.
    await fs.rm(stagingRoot, { recursive: true, force: true })
  }
}
