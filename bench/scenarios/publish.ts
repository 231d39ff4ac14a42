import fs from 'node:fs'
import path from 'node:path'
import { create as createKuboClient } from 'kubo-rpc-client'
import { runtimeToken } from '../../__tests__/servers/artifact.js'
import type { Context, Scenario } from '../harness/context.js'
import { writeRandomFolder } from '../harness/data.js'
import { compare, type ComparisonResult } from '../harness/measure.js'
import { commandSample, nodeSideSample } from '../harness/proc.js'

/**
 * The results side, on one folder of `folderBytes` across `folderFiles` files:
 * the offline CID against sha256sum, the IPFS import against the node's own
 * `add -r`, and the artifact upload against the same @actions/artifact call.
 */
export const publishScenario: Scenario = {
  id: 'publish',
  async run(context: Context) {
    const { sizes } = context
    const root = fs.mkdtempSync(path.join(context.tmp, 'publish-'))
    const folder = path.join(root, 'results')
    context.log(`  writing ${sizes.folderBytes / 2 ** 20} MiB across ${sizes.folderFiles} files`)
    writeRandomFolder(folder, sizes.folderBytes, sizes.folderFiles)
    const label = `${sizes.folderBytes / 2 ** 20} MiB across ${sizes.folderFiles} files`
    let n = 0
    const workDir = (): string => path.join(root, `work-${++n}`)
    const afterEach = async (): Promise<void> => {
      for (const entry of fs.readdirSync(root)) {
        if (entry.startsWith('work-')) fs.rmSync(path.join(root, entry), { recursive: true, force: true })
      }
    }
    const results: ComparisonResult[] = []

    results.push(
      await compare(
        {
          id: 'cid',
          title: `offline CID: ${label}`,
          metric: 'throughput',
          target: 0.5,
          bytes: sizes.folderBytes,
          actionLabel: 'publishToIpfs without a node (CID only)',
          baselineLabel: 'sha256sum over the same files',
          action: () => nodeSideSample('publish', { mode: 'cid', folder, workDir: workDir() }),
          baseline: () =>
            commandSample('sh', ['-c', 'find "$1" -type f -print0 | xargs -0 sha256sum >/dev/null', 'sh', folder]),
          afterEach
        },
        sizes.runs,
        context.log
      )
    )

    const api = (await context.servers.get('ipfs')).COD_IPFS_API!
    const client = createKuboClient({ url: api })
    const cids = new Set<string>()
    // Each run starts from a node without the folder's blocks, as a first publish does.
    const forget = async (): Promise<void> => {
      for await (const pin of client.pin.ls({ type: 'recursive' })) await client.pin.rm(pin.cid)
      for await (const removed of client.repo.gc()) void removed
      await afterEach()
    }
    await forget()
    const ipfs = await compare(
      {
        id: 'ipfs-publish',
        title: `IPFS publish: ${label}`,
        metric: 'time',
        target: 1.2,
        bytes: sizes.folderBytes,
        actionLabel: 'publishToIpfs (CID, CAR, dag/import, pin)',
        baselineLabel: "the node's own add -r, pinned",
        action: async () => {
          const sample = await nodeSideSample('publish', { mode: 'ipfs', folder, workDir: workDir(), api })
          cids.add(String(sample.report.cid))
          return sample
        },
        baseline: async () => {
          const sample = await nodeSideSample('publish', { mode: 'add', folder, workDir: workDir(), api })
          cids.add(String(sample.report.cid))
          return sample
        },
        afterEach: forget
      },
      sizes.runs,
      context.log
    )
    // Both sides must have built the same DAG, or the comparison means nothing.
    if (cids.size !== 1) throw new Error(`the action and add -r gave different CIDs: ${[...cids].join(', ')}`)
    results.push(ipfs)
    await context.servers.stop('ipfs')

    const artifactEnv = await context.servers.get('artifact')
    const artifactSide = (mode: 'artifact' | 'upload') => () =>
      nodeSideSample(
        'publish',
        { mode, folder, workDir: workDir(), name: 'results' },
        // A token of its own for every run: its artifacts never clash with another run's.
        { env: { ACTIONS_RESULTS_URL: artifactEnv.COD_RESULTS_URL, ACTIONS_RUNTIME_TOKEN: runtimeToken() } }
      )
    results.push(
      await compare(
        {
          id: 'artifact',
          title: `artifact publish: ${label}`,
          metric: 'time',
          target: 1.1,
          bytes: sizes.folderBytes,
          actionLabel: 'publishArtifact',
          baselineLabel: 'uploadArtifact of the folder alone',
          action: artifactSide('artifact'),
          baseline: artifactSide('upload'),
          afterEach
        },
        sizes.runs,
        context.log
      )
    )
    // Azurite keeps deleted blobs' extents for a while: stopping it removes its folder.
    await context.servers.stop('artifact')
    fs.rmSync(root, { recursive: true, force: true })
    return results
  }
}
