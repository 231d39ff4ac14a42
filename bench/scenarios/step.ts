import fs from 'node:fs'
import path from 'node:path'
import { BUSYBOX_IMAGE } from '../../__tests__/servers/images.js'
import { runStep } from '../harness/action.js'
import type { Context, Scenario } from '../harness/context.js'
import { actionDir } from '../harness/dist.js'
import { compare } from '../harness/measure.js'
import { commandSample } from '../harness/proc.js'
import { hardenedFlags } from './container.js'

const SCRIPT = 'wc -c /inputs/notes.txt > /outputs/count.txt'

/** The whole step for a trivial job, against a shell script doing the same with the docker CLI. */
export const stepScenario: Scenario = {
  id: 'step',
  async run(context: Context) {
    await context.servers.get('docker')
    const action = actionDir(context.tmp, context.log)
    const root = fs.mkdtempSync(path.join(context.tmp, 'step-'))
    const workspace = path.join(root, 'workspace')
    fs.mkdirSync(path.join(workspace, 'data'), { recursive: true })
    fs.writeFileSync(path.join(workspace, 'data', 'notes.txt'), 'a small input from the repository\n')
    let n = 0
    const expectCount = (results: string): void => {
      const count = fs.readFileSync(path.join(results, 'outputs', 'count.txt'), 'utf8')
      if (!count.startsWith('34 ')) throw new Error(`the job wrote ${JSON.stringify(count)}, not the input's size`)
    }
    const result = await compare(
      {
        id: 'step',
        title: 'whole step, trivial job',
        metric: 'time',
        target: 1.2,
        actionLabel: 'node dist/index.js',
        baselineLabel: 'shell script: cp, docker run, redirects',
        action: async () => {
          const run = ++n
          const results = path.join(root, `results-${run}`)
          const sample = await runStep({
            actionDir: action,
            inputs: {
              image: BUSYBOX_IMAGE,
              pull: 'never',
              inputs: 'data/:/inputs',
              run: SCRIPT,
              'results-dir': results,
              'artifact-name': ''
            },
            workspace,
            runnerTemp: path.join(root, `temp-${run}`)
          })
          expectCount(results)
          fs.rmSync(results, { recursive: true, force: true })
          fs.rmSync(path.join(root, `temp-${run}`), { recursive: true, force: true })
          return sample
        },
        baseline: async () => {
          const results = path.join(root, `results-${++n}`)
          const sample = await commandSample(path.resolve('bench/harness/trivial-job.sh'), [
            workspace,
            results,
            BUSYBOX_IMAGE,
            SCRIPT,
            ...hardenedFlags()
          ])
          expectCount(results)
          fs.rmSync(results, { recursive: true, force: true })
          return sample
        }
      },
      context.sizes.runs,
      context.log
    )
    fs.rmSync(root, { recursive: true, force: true })
    return [result]
  }
}
