import fs from 'node:fs'
import path from 'node:path'
import { create as createKuboClient } from 'kubo-rpc-client'
import { runtimeToken } from '../../__tests__/servers/artifact.js'
import type { Context, Scenario } from '../harness/context.js'
import { compare } from '../harness/measure.js'
import { commandSample, nodeSideSample } from '../harness/proc.js'

/** The results side, on the shared folder (`folderBytes` across `folderFiles` files). */
const label = (context: Context): string =>
  `${context.sizes.folderBytes / 2 ** 20} MiB across ${context.sizes.folderFiles} files`

/** A scratch folder for each run's work files (the CAR, the artifact's links), emptied after each run. */
function workDirs(context: Context, name: string) {
  const root = fs.mkdtempSync(path.join(context.tmp, `${name}-`))
  let n = 0
  return {
    next: (): string => path.join(root, `work-${++n}`),
    clear: async (): Promise<void> => {
      for (const entry of fs.readdirSync(root)) fs.rmSync(path.join(root, entry), { recursive: true, force: true })
    },
    remove: (): void => fs.rmSync(root, { recursive: true, force: true })
  }
}

/** The CID computed on the runner, against sha256sum over the same bytes (the hashing bound). */
export const cidScenario: Scenario = {
  id: 'cid',
  async run(context: Context) {
    const folder = context.folder()
    const work = workDirs(context, 'cid')
    const result = await compare(
      {
        id: 'cid',
        title: `offline CID: ${label(context)}`,
        metric: 'throughput',
        target: 0.5,
        bytes: context.sizes.folderBytes,
        actionLabel: 'publishToIpfs without a node (CID only)',
        baselineLabel: 'sha256sum over the same files',
        action: () => nodeSideSample('publish', { mode: 'cid', folder, workDir: work.next() }),
        baseline: () =>
          commandSample('sh', ['-c', 'find "$1" -type f -print0 | xargs -0 sha256sum >/dev/null', 'sh', folder]),
        afterEach: work.clear
      },
      context.sizes.runs,
      context.log
    )
    work.remove()
    return [result]
  }
}

/** CID, CAR and dag/import into the js-ipfs node, against the node's own `add -r`; both pin. */
export const ipfsPublishScenario: Scenario = {
  id: 'ipfs-publish',
  async run(context: Context) {
    const folder = context.folder()
    const work = workDirs(context, 'ipfs-publish')
    const api = (await context.servers.get('ipfs')).COD_IPFS_API!
    const client = createKuboClient({ url: api })
    const cids = new Set<string>()
    // Each run starts from a node without the folder's blocks, as a first publish does.
    const forget = async (): Promise<void> => {
      for await (const pin of client.pin.ls({ type: 'recursive' })) await client.pin.rm(pin.cid)
      for await (const removed of client.repo.gc()) void removed
      await work.clear()
    }
    await forget()
    const side = (mode: 'ipfs' | 'add') => async () => {
      const sample = await nodeSideSample('publish', { mode, folder, workDir: work.next(), api })
      cids.add(String(sample.report.cid))
      return sample
    }
    const result = await compare(
      {
        id: 'ipfs-publish',
        title: `IPFS publish: ${label(context)}`,
        metric: 'time',
        target: 1.2,
        bytes: context.sizes.folderBytes,
        actionLabel: 'publishToIpfs (CID, CAR, dag/import, pin)',
        baselineLabel: "the node's own add -r, pinned",
        action: side('ipfs'),
        baseline: side('add'),
        afterEach: forget
      },
      context.sizes.runs,
      context.log
    )
    // Both sides must have built the same DAG, or the comparison means nothing.
    if (cids.size !== 1) throw new Error(`the action and add -r gave different CIDs: ${[...cids].join(', ')}`)
    // The node's repo holds what was imported: stopping it removes the repo.
    await context.servers.stop('ipfs')
    work.remove()
    return [result]
  }
}

/** The action's artifact upload against the same @actions/artifact uploadArtifact call alone. */
export const artifactScenario: Scenario = {
  id: 'artifact',
  async run(context: Context) {
    const folder = context.folder()
    const work = workDirs(context, 'artifact')
    const env = await context.servers.get('artifact')
    const side = (mode: 'artifact' | 'upload') => () =>
      nodeSideSample(
        'publish',
        { mode, folder, workDir: work.next(), name: 'results' },
        // A token of its own for every run: its artifacts never clash with another run's.
        { env: { ACTIONS_RESULTS_URL: env.COD_RESULTS_URL, ACTIONS_RUNTIME_TOKEN: runtimeToken() } }
      )
    const result = await compare(
      {
        id: 'artifact',
        title: `artifact publish: ${label(context)}`,
        metric: 'time',
        target: 1.1,
        bytes: context.sizes.folderBytes,
        actionLabel: 'publishArtifact',
        baselineLabel: 'uploadArtifact of the folder alone',
        action: side('artifact'),
        baseline: side('upload'),
        afterEach: work.clear
      },
      context.sizes.runs,
      context.log
    )
    // Azurite keeps deleted blobs' extents for a while: stopping it removes its folder.
    await context.servers.stop('artifact')
    work.remove()
    return [result]
  }
}
