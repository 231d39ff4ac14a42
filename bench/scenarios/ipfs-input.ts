import fs from 'node:fs'
import path from 'node:path'
import { create as createKuboClient, globSource } from 'kubo-rpc-client'
import type { Context, Scenario } from '../harness/context.js'
import { filesUnder, writeRandomFolder } from '../harness/data.js'
import { compare } from '../harness/measure.js'
import { nodeSideSample, stagedPath } from '../harness/proc.js'

/** A folder on the js-ipfs node the tests use: the action's verified dag/export against the node's own get. */
export const ipfsInputScenario: Scenario = {
  id: 'ipfs-input',
  async run(context: Context) {
    const bytes = context.sizes.ipfsInputBytes
    const files = Math.max(1, Math.round(bytes / 2 ** 20))
    const api = (await context.servers.get('ipfs')).COD_IPFS_API!
    const root = fs.mkdtempSync(path.join(context.tmp, 'ipfs-input-'))
    const source = path.join(root, 'source')
    writeRandomFolder(source, bytes, files)
    const client = createKuboClient({ url: api })
    let cid = ''
    for await (const added of client.addAll(globSource(source, '**/*'), { cidVersion: 0, wrapWithDirectory: true })) {
      cid = added.cid.toString()
    }
    fs.rmSync(source, { recursive: true })
    const workspace = path.join(root, 'workspace')
    fs.mkdirSync(workspace)
    const staging = path.join(root, 'staging')
    const expect = (dir: string): void => {
      const found = filesUnder(dir)
      const total = found.reduce((sum, file) => sum + fs.statSync(file).size, 0)
      if (found.length !== files || total !== bytes) {
        throw new Error(`${dir} holds ${found.length} files of ${total} bytes, not ${files} of ${bytes}`)
      }
    }
    const result = await compare(
      {
        id: 'ipfs-input',
        title: `IPFS input: a ${bytes / 2 ** 20} MiB folder of ${files} files`,
        metric: 'throughput',
        target: 0.8,
        bytes,
        actionLabel: 'stageInputs (dag/export, verified)',
        baselineLabel: "the node's own get",
        action: async () => {
          const sample = await nodeSideSample('stage', {
            with: { inputs: `ipfs://${cid}:/inputs`, 'ipfs-api': api },
            workspace,
            stagingRoot: staging
          })
          expect(stagedPath(sample.report))
          return sample
        },
        baseline: async () => {
          fs.mkdirSync(staging, { recursive: true })
          const sample = await nodeSideSample('ipfs-get', { api, cid, dest: staging })
          expect(staging)
          return sample
        },
        afterEach: async () => fs.rmSync(staging, { recursive: true, force: true })
      },
      context.sizes.runs,
      context.log
    )
    fs.rmSync(root, { recursive: true, force: true })
    return [result]
  }
}
