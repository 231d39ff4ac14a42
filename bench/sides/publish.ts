import fs from 'node:fs'
import path from 'node:path'
import { DefaultArtifactClient } from '@actions/artifact'
import { create as createKuboClient, globSource } from 'kubo-rpc-client'
import { publishArtifact } from '../../src/publishers/artifact.js'
import { publishToIpfs } from '../../src/publishers/ipfs.js'
import { collectingLog } from '../../__tests__/helpers/log.js'
import { input, report, timed } from './side.js'

/**
 * The publishing sides, on one folder:
 * - `cid`: the offline CID, as the action computes it without an IPFS node;
 * - `ipfs`: CID, CAR and import into the node, pinned (the action);
 * - `add`: the node's own `add -r` of the folder, pinned (its baseline);
 * - `artifact`: the action's artifact upload;
 * - `upload`: the same @actions/artifact uploadArtifact call alone (its baseline).
 */
const { mode, folder, workDir, api, name } = input<{
  mode: 'cid' | 'ipfs' | 'add' | 'artifact' | 'upload'
  folder: string
  workDir: string
  api?: string
  name?: string
}>()
const context = { resultsDir: folder, workDir, log: collectingLog() }
const ipfsSettings = {
  api,
  headers: [],
  cidVersion: 0 as const,
  pin: true,
  includeHidden: true,
  car: false,
  gatewayUrl: 'https://ipfs.io'
}
let cid: string | undefined
fs.mkdirSync(workDir, { recursive: true })
const ms = await timed(async () => {
  switch (mode) {
    case 'cid':
    case 'ipfs':
      cid = (await publishToIpfs(context, ipfsSettings)).cid
      break
    case 'add': {
      const client = createKuboClient({ url: api! })
      const added = client.addAll(globSource(folder, '**/*', { hidden: true }), {
        cidVersion: 0,
        pin: true,
        wrapWithDirectory: true
      })
      for await (const entry of added) cid = entry.cid.toString()
      break
    }
    case 'artifact':
      await publishArtifact(context, { name: name!, overwrite: false }, [])
      break
    case 'upload': {
      const files = fs
        .readdirSync(folder, { recursive: true, withFileTypes: true })
        .filter((entry) => entry.isFile())
        .map((entry) => path.join(entry.parentPath, entry.name))
      await new DefaultArtifactClient().uploadArtifact(name!, files, folder)
      break
    }
  }
})
// Untimed: the artifact is deleted so that Azurite does not keep every run's zip.
if (mode === 'artifact' || mode === 'upload') await new DefaultArtifactClient().deleteArtifact(name!)
report(ms, { cid })
