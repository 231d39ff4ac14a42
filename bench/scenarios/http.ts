import fs from 'node:fs'
import path from 'node:path'
import type { Context, Scenario } from '../harness/context.js'
import { writeRandomFile } from '../harness/data.js'
import { compare } from '../harness/measure.js'
import { commandSample, nodeSideSample, stagedPath } from '../harness/proc.js'

/** One large file over HTTP: the action's download (resumable, hashed) against `curl -o`. */
export const httpScenario: Scenario = {
  id: 'http',
  async run(context: Context) {
    const bytes = context.sizes.httpFileBytes
    writeRandomFile(path.join(context.tmp, 'http', 'big.bin'), bytes)
    const url = `${(await context.servers.get('http')).COD_BENCH_HTTP_URL}/big.bin`
    const root = fs.mkdtempSync(path.join(context.tmp, 'http-'))
    const workspace = path.join(root, 'workspace')
    fs.mkdirSync(workspace)
    const staging = path.join(root, 'staging')
    const expectSize = (file: string): void => {
      const size = fs.statSync(file).size
      if (size !== bytes) throw new Error(`${file} is ${size} bytes, not ${bytes}`)
    }
    const result = await compare(
      {
        id: 'http',
        title: `HTTP input: one ${bytes / 2 ** 20} MiB file`,
        metric: 'throughput',
        target: 0.9,
        bytes,
        actionLabel: 'stageInputs (http)',
        baselineLabel: 'curl -o',
        action: async () => {
          const sample = await nodeSideSample('stage', {
            with: { inputs: `src=${url},dst=/inputs` },
            workspace,
            stagingRoot: staging
          })
          expectSize(stagedPath(sample.report))
          return sample
        },
        baseline: async () => {
          fs.mkdirSync(staging, { recursive: true })
          const sample = await commandSample('curl', ['-sS', '-f', '-o', path.join(staging, 'big.bin'), url])
          expectSize(path.join(staging, 'big.bin'))
          return sample
        },
        afterEach: async () => fs.rmSync(staging, { recursive: true, force: true })
      },
      context.sizes.runs,
      context.log
    )
    fs.rmSync(root, { recursive: true, force: true })
    fs.rmSync(path.join(context.tmp, 'http', 'big.bin'))
    return [result]
  }
}
