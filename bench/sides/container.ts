import { runContainer } from '../../src/executor/container.js'
import { connectDocker } from '../../src/executor/engine.js'
import { createResultsFolder } from '../../src/results/layout.js'
import { parseJobSpec } from '../../src/spec/job-spec.js'
import { actionInputs } from '../../__tests__/helpers/inputs.js'
import { collectingLog } from '../../__tests__/helpers/log.js'
import { input, report, timed } from './side.js'

/** The executor alone: connect, create, attach, start, wait, collect, remove. */
const { image, imageId, workspace, runnerTemp, resultsDir, runId } = input<{
  image: string
  imageId: string
  workspace: string
  runnerTemp: string
  resultsDir: string
  runId: string
}>()
const spec = parseJobSpec(actionInputs({ image, pull: 'never', command: 'true', 'results-dir': resultsDir }), {
  workspace,
  runnerTemp,
  uid: process.getuid!(),
  gid: process.getgid!(),
  runId
})
const results = await createResultsFolder(spec)
const log = collectingLog()
const ms = await timed(async () => {
  const docker = await connectDocker()
  const image = { id: imageId, digest: imageId, platform: 'linux/amd64' }
  const outcome = await runContainer(docker, { spec, image, inputs: [], results }, log)
  if (outcome.exitCode !== 0) throw new Error(`true exited with ${outcome.exitCode}`)
})
report(ms)
