import { randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { CarWriter } from '@ipld/car/writer'
import * as dagPb from '@ipld/dag-pb'
import { UnixFS } from 'ipfs-unixfs'
import { importer } from 'ipfs-unixfs-importer'
import { create as createKuboClient, type KuboRPCClient } from 'kubo-rpc-client'
import { CID } from 'multiformats/cid'
import { stageIpfs } from '../../src/storage/ipfs.js'
import type { Log, SourceSettings, StagedSource } from '../../src/storage/types.js'

const api = process.env.COD_IPFS_API!
const gateway = process.env.COD_IPFS_GATEWAY!
let client: KuboRPCClient
let tmp: string

function testLog(): Log & { lines: string[] } {
  const lines: string[] = []
  return {
    lines,
    info: (m) => lines.push(m),
    warning: (m) => lines.push(`warning: ${m}`),
    debug: () => {},
    group: async (_t, body) => body(),
    mask: () => {}
  }
}

async function stage(
  cid: string,
  subpath: string,
  settings: Partial<SourceSettings> & { via: 'api' | 'gateway' }
): Promise<{ staged: StagedSource; stagingDir: string; log: ReturnType<typeof testLog> }> {
  const stagingDir = await fs.mkdtemp(path.join(tmp, 'stage-'))
  const log = testLog()
  const { via, ...rest } = settings
  const staged = await stageIpfs({
    source: { scheme: 'ipfs', cid, subpath },
    stagingDir,
    settings: { ipfsGateway: gateway, ...(via === 'api' ? { ipfsApi: api } : {}), ...rest },
    log
  })
  return { staged, stagingDir, log }
}

/** Stages and expects a failure; returns the error and what was left in the staging folder. */
async function stageFailing(
  cid: string,
  subpath: string,
  settings: Partial<SourceSettings> & { via: 'api' | 'gateway' }
): Promise<{ error: Error; left: string[] }> {
  const stagingDir = await fs.mkdtemp(path.join(tmp, 'stage-'))
  const { via, ...rest } = settings
  const error = await stageIpfs({
    source: { scheme: 'ipfs', cid, subpath },
    stagingDir,
    settings: { ipfsGateway: gateway, ...(via === 'api' ? { ipfsApi: api } : {}), ...rest },
    log: testLog()
  }).then(
    () => {
      throw new Error('staging succeeded but should have failed')
    },
    (e: Error) => e
  )
  return { error, left: await fs.readdir(stagingDir) }
}

const big = randomBytes(700_000)

/** A folder added by the node itself: the CIDs are the node's, not ours. */
async function addFolder(): Promise<string> {
  let root: string | undefined
  for await (const entry of client.addAll(
    [
      { path: '/data' },
      { path: '/data/hello.txt', content: new TextEncoder().encode('hello world\n') },
      { path: '/data/sub' },
      { path: '/data/sub/big.bin', content: big },
      { path: '/data/sub/deeper' },
      { path: '/data/sub/deeper/note.md', content: new TextEncoder().encode('# note\n') },
      { path: '/data/empty' }
    ],
    { cidVersion: 0 }
  )) {
    if (entry.path === 'data' || entry.path === '/data') root = entry.cid.toString()
  }
  if (!root) throw new Error('the node returned no root for the folder')
  return root
}

async function expectFolder(dir: string): Promise<void> {
  expect(await fs.readFile(path.join(dir, 'hello.txt'), 'utf8')).toBe('hello world\n')
  expect((await fs.readFile(path.join(dir, 'sub', 'big.bin'))).equals(big)).toBe(true)
  expect(await fs.readFile(path.join(dir, 'sub', 'deeper', 'note.md'), 'utf8')).toBe('# note\n')
  expect(await fs.readdir(path.join(dir, 'empty'))).toEqual([])
  expect((await fs.readdir(dir)).sort()).toEqual(['empty', 'hello.txt', 'sub'])
}

let folder: string

beforeAll(async () => {
  client = createKuboClient({ url: api })
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'cod-ipfs-input-'))
  folder = await addFolder()
})
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true })
})

describe.each(['api', 'gateway'] as const)('ipfs:// inputs through the %s', (via) => {
  test('a file CID becomes one file named after the CID', async () => {
    const { cid } = await client.add(new TextEncoder().encode(`one file via ${via}\n`))
    const { staged, stagingDir } = await stage(cid.toString(), '', { via })
    expect(staged.hostPath).toBe(path.join(stagingDir, cid.toString()))
    expect(await fs.readFile(staged.hostPath, 'utf8')).toBe(`one file via ${via}\n`)
    expect(staged.identity).toEqual({ scheme: 'ipfs', cid: cid.toString(), subpath: '', resolvedCid: cid.toString() })
    expect(staged.bytes).toBe(`one file via ${via}\n`.length)
    // The block store is gone once unpacked.
    expect(await fs.readdir(stagingDir)).toEqual([cid.toString()])
  })

  test('a directory CID becomes the folder, empty folders and multi-block files included', async () => {
    const { staged, stagingDir, log } = await stage(folder, '', { via })
    await expectFolder(staged.hostPath)
    expect(staged.bytes).toBe(12 + big.length + 7)
    expect(await fs.readdir(stagingDir)).toEqual([folder])
    expect(log.lines.some((line) => line.includes('Verified'))).toBe(true)
  })

  test('a subpath fetches only that sub-DAG and resolves to its CID', async () => {
    const stat = await client.files.stat(`/ipfs/${folder}/sub/deeper`)
    const { staged, stagingDir, log } = await stage(folder, 'sub/deeper', { via })
    // The root and sub/ along the path, then deeper/ and note.md: not big.bin's blocks.
    expect(log.lines.find((l) => l.startsWith('Verified'))).toMatch(/^Verified 4 blocks/)
    expect(staged.hostPath).toBe(path.join(stagingDir, 'deeper'))
    expect(await fs.readdir(staged.hostPath)).toEqual(['note.md'])
    expect(staged.identity).toEqual({
      scheme: 'ipfs',
      cid: folder,
      subpath: 'sub/deeper',
      resolvedCid: stat.cid.toString()
    })

    const file = await stage(folder, 'sub/big.bin', { via })
    expect(file.staged.hostPath).toBe(path.join(file.stagingDir, 'big.bin'))
    expect((await fs.readFile(file.staged.hostPath)).equals(big)).toBe(true)
    expect(file.staged.bytes).toBe(big.length)
  })

  test('a subpath that does not exist is an error naming the CID and the path', async () => {
    const { error, left } = await stageFailing(folder, 'sub/nope.txt', { via })
    expect(error.message).toContain(folder)
    expect(error.message).toContain('sub/nope.txt')
    expect(error.message).toMatch(/does not exist/)
    expect(left).toEqual([])
  })

  test('max-input-size stops the transfer once the CAR passes it', async () => {
    const { error, left } = await stageFailing(folder, '', { via, maxInputBytes: 100_000 })
    expect(error.message).toContain('max-input-size')
    expect(error.message).toContain(folder)
    expect(left).toEqual([])
    // Just over the real size passes: the limit counts what is received, no more.
    const { staged } = await stage(folder, '', { via, maxInputBytes: 2_000_000 })
    await expectFolder(staged.hostPath)
  })
})

describe('verification against a lying gateway', () => {
  test('a tampered block is refused, naming its CID, and nothing is left unpacked', async () => {
    const { cid } = await client.add(randomBytes(300_000), { cidVersion: 1 })
    const clean = await stage(cid.toString(), '', { via: 'gateway' })
    expect((await fs.stat(clean.staged.hostPath)).size).toBe(300_000)

    const tamper = await fetch(`${gateway}/admin/tamper?cid=${cid}`, { method: 'POST' })
    expect(tamper.status).toBe(204)
    const { error, left } = await stageFailing(cid.toString(), '', { via: 'gateway' })
    expect(error.message).toMatch(/does not match its CID/)
    // The error names the block that failed: one of the file's blocks.
    const blockCids: string[] = []
    for await (const ref of client.refs(cid, { recursive: true })) blockCids.push(ref.ref)
    expect([cid.toString(), ...blockCids].some((block) => error.message.includes(block))).toBe(true)
    expect(left).toEqual([])
  })

  test('a DAG with a block left out is refused before anything is unpacked', async () => {
    const other = (await client.add(randomBytes(400_000))).cid.toString()
    const wrapped = await stage(other, '', { via: 'gateway' })
    expect((await fs.stat(wrapped.staged.hostPath)).size).toBe(400_000)
    await fetch(`${gateway}/admin/drop?cid=${other}`, { method: 'POST' })
    const { error, left } = await stageFailing(other, '', { via: 'gateway' })
    expect(error.message).toMatch(/was not received; refusing an incomplete DAG/)
    expect(left).toEqual([])
  })
})

describe('UnixFS features beyond what js-ipfs makes itself', () => {
  test('HAMT-sharded folders, symlinks and modes are unpacked', async () => {
    // Built with the importer and imported as a CAR: js-ipfs never shards.
    const blocks: Array<{ cid: CID; bytes: Uint8Array }> = []
    const store = {
      put: async (cid: { bytes: Uint8Array }, bytes: Uint8Array) => {
        blocks.push({ cid: CID.decode(cid.bytes), bytes })
        return cid
      }
    }
    const entries = [
      { path: 'root/script.sh', content: new TextEncoder().encode('#!/bin/sh\n'), mode: 0o755 },
      { path: 'root/link', link: 'script.sh' },
      { path: 'root/passwd', link: '/etc/passwd' },
      ...Array.from({ length: 300 }, (_, i) => ({
        path: `root/many/file-${i}.txt`,
        content: new TextEncoder().encode(`${i}\n`)
      }))
    ]
    let root: CID | undefined
    for await (const entry of importer(entries, store as never, { cidVersion: 1, shardSplitThresholdBytes: 1000 })) {
      if (entry.path === 'root') root = CID.decode(entry.cid.bytes)
    }
    const { writer, out } = CarWriter.create([root as never])
    const chunks: Uint8Array[] = []
    const drained = (async () => {
      for await (const chunk of out) chunks.push(chunk)
    })()
    for (const block of blocks) await writer.put(block as never)
    await writer.close()
    await drained
    for await (const _ of client.dag.import([Buffer.concat(chunks)], { pinRoots: false })) void _
    const rootNode = dagPb.decode(await client.block.get(root as never))
    const manyLink = rootNode.Links.find((link) => link.Name === 'many')!
    const many = dagPb.decode(await client.block.get(manyLink.Hash as never))
    expect(UnixFS.unmarshal(many.Data!).type).toBe('hamt-sharded-directory')

    for (const via of ['api', 'gateway'] as const) {
      const { staged } = await stage(root!.toString(), '', { via })
      const dir = staged.hostPath
      expect((await fs.readdir(path.join(dir, 'many'))).length).toBe(300)
      expect(await fs.readFile(path.join(dir, 'many', 'file-299.txt'), 'utf8')).toBe('299\n')
      expect(await fs.readlink(path.join(dir, 'link'))).toBe('script.sh')
      expect(await fs.readlink(path.join(dir, 'passwd'))).toBe('/etc/passwd')
      expect((await fs.lstat(path.join(dir, 'passwd'))).isSymbolicLink()).toBe(true)
      expect((await fs.stat(path.join(dir, 'script.sh'))).mode & 0o777).toBe(0o755)
      // A path through a sharded folder resolves too.
      const sub = await stage(root!.toString(), 'many/file-7.txt', { via })
      expect(await fs.readFile(sub.staged.hostPath, 'utf8')).toBe('7\n')
    }
  })
})
