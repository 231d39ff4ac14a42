import fs from 'node:fs'
import path from 'node:path'
import { parseJobSpec } from '../../src/spec/job-spec.js'
import { stageInputs } from '../../src/storage/index.js'
import { actionInputs } from '../../__tests__/helpers/inputs.js'
import { collectingLog } from '../../__tests__/helpers/log.js'
import { input, report, timed } from './side.js'

/**
 * Stages one input as the action does (the `inputs` line parsed by the job
 * spec, then stageInputs), into `stagingRoot`, and reports the time and the
 * bytes staged. The staged copy is left for the bench to check and delete.
 */
const {
  with: values,
  workspace,
  stagingRoot
} = input<{
  with: Record<string, string>
  workspace: string
  stagingRoot: string
}>()
const spec = parseJobSpec(actionInputs({ image: 'cod-test/busybox:1', ...values }), {
  workspace,
  runnerTemp: path.join(stagingRoot, '..'),
  uid: process.getuid!(),
  gid: process.getgid!(),
  runId: 'bench'
})
// Loaded before the clock starts, as the baselines load their clients: under
// tsx a first import also compiles TypeScript, which the bundle never does.
await Promise.all([
  import('../../src/storage/http.js'),
  import('../../src/storage/ipfs.js'),
  import('../../src/storage/s3.js')
])
fs.mkdirSync(stagingRoot, { recursive: true })
let staged: Awaited<ReturnType<typeof stageInputs>> = []
const ms = await timed(async () => {
  staged = await stageInputs({
    inputs: spec.inputs,
    stagingRoot,
    workspace,
    settings: spec.sources,
    log: collectingLog()
  })
})
// A single file inside its target is bound over a mount point: its own path is where the bytes are.
report(ms, {
  staged: staged.map((input) => ({ hostPath: input.file?.hostPath ?? input.hostPath, bytes: input.bytes }))
})
