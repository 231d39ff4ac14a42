import fs from 'node:fs'
import path from 'node:path'
import Docker from 'dockerode'
import { PIDS_LIMIT } from '../../src/executor/container.js'
import { RUN_LABEL } from '../../src/executor/engine.js'
import { BUSYBOX_IMAGE } from '../../__tests__/servers/images.js'
import type { Context, Scenario } from '../harness/context.js'
import { compare } from '../harness/measure.js'
import { commandSample, nodeSideSample } from '../harness/proc.js'
import { benchRunId } from '../harness/run-id.js'

/** The flags `containerConfig` sets, as `docker run` spells them. */
export function hardenedFlags(): string[] {
  return [
    '--network',
    'none',
    '--cap-drop',
    'ALL',
    '--security-opt',
    'no-new-privileges',
    '--pids-limit',
    String(PIDS_LIMIT),
    '--log-driver',
    'none',
    '--user',
    `${process.getuid!()}:${process.getgid!()}`,
    '--label',
    `${RUN_LABEL}=${benchRunId()}`
  ]
}

/** The executor running `true` against `docker run --rm` with the same flags, both into a results folder. */
export const containerScenario: Scenario = {
  id: 'container',
  async run(context: Context) {
    await context.servers.get('docker')
    const imageId = (await new Docker().getImage(BUSYBOX_IMAGE).inspect()).Id
    const root = fs.mkdtempSync(path.join(context.tmp, 'container-'))
    const workspace = path.join(root, 'workspace')
    fs.mkdirSync(workspace)
    let n = 0
    const freshResults = (): string => {
      const dir = path.join(root, `results-${++n}`)
      fs.rmSync(path.join(root, `results-${n - 1}`), { recursive: true, force: true })
      return dir
    }
    const result = await compare(
      {
        id: 'container',
        title: 'container path: `true` in busybox',
        metric: 'time',
        target: 0.9,
        actionLabel: 'executor (runContainer)',
        baselineLabel: 'docker run --rm',
        action: () =>
          nodeSideSample('container', {
            image: BUSYBOX_IMAGE,
            imageId,
            workspace,
            runnerTemp: path.join(root, 'temp'),
            resultsDir: freshResults(),
            runId: benchRunId()
          }),
        baseline: async () => {
          const results = freshResults()
          fs.mkdirSync(path.join(results, 'outputs'), { recursive: true })
          return commandSample(
            'docker',
            [
              'run',
              '--rm',
              ...hardenedFlags(),
              '-v',
              `${path.join(results, 'outputs')}:/outputs`,
              BUSYBOX_IMAGE,
              'true'
            ],
            { stdoutFile: path.join(results, 'stdout'), stderrFile: path.join(results, 'stderr') }
          )
        }
      },
      context.sizes.runs,
      context.log
    )
    fs.rmSync(root, { recursive: true, force: true })
    return [result]
  }
}
