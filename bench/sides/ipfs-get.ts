import { createWriteStream } from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { create as createKuboClient } from 'kubo-rpc-client'
import tar from 'tar-stream'
import { input, report, timed } from './side.js'

/**
 * The IPFS baseline: the node's own `get`, as `ipfs get CID -o DEST` does it,
 * the RPC's tar stream unpacked to files (the node trusts its own blocks, so
 * nothing is verified on this side).
 */
const { api, cid, dest } = input<{ api: string; cid: string; dest: string }>()
const client = createKuboClient({ url: api })
const ms = await timed(async () => {
  const extract = tar.extract()
  const unpacked = (async () => {
    for await (const entry of extract) {
      const target = path.join(dest, entry.header.name)
      if (!target.startsWith(dest)) throw new Error(`the tar names ${entry.header.name}, outside ${dest}`)
      if (entry.header.type === 'directory') {
        await fs.mkdir(target, { recursive: true })
        entry.resume()
      } else {
        await fs.mkdir(path.dirname(target), { recursive: true })
        await pipeline(entry, createWriteStream(target))
      }
    }
  })()
  await pipeline(Readable.from(client.get(cid)), extract)
  await unpacked
})
report(ms)
