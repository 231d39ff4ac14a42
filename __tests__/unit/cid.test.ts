import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { CarBlockIterator } from '@ipld/car/iterator'
import { sha256 } from 'multiformats/hashes/sha2'
import { publishToIpfs } from '../../src/publishers/ipfs.js'
import { buildUnixfsDag, compareNames } from '../../src/publishers/unixfs-dag.js'
import type { Log } from '../../src/storage/types.js'

// Kubo's own test vectors (t0040-add-and-cat.sh and friends).
const HELLO_V0 = 'QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o'
const HELLO_V1 = 'bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4'
const EMPTY_FILE_V0 = 'QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH'
const EMPTY_DIR_V0 = 'QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn'
const EMPTY_DIR_V1 = 'bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354'

const noop = async (): Promise<void> => {}
let tmp: string

function silentLog(): Log & { lines: string[] } {
  const lines: string[] = []
  return {
    lines,
    info: (m) => lines.push(m),
    warning: (m) => lines.push(m),
    debug: () => {},
    group: async (_t, body) => body(),
    mask: () => {}
  }
}

beforeEach(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'cod-cid-'))
})
afterEach(async () => {
  await fs.rm(tmp, { recursive: true, force: true })
})

async function cidOf(target: string, cidVersion: 0 | 1, includeHidden = true): Promise<string> {
  return (await buildUnixfsDag(target, { cidVersion, includeHidden }, noop)).cid.toString()
}

describe('offline CIDs as `ipfs add`', () => {
  test('"hello world\\n" as CIDv0 and CIDv1', async () => {
    const file = path.join(tmp, 'hello')
    await fs.writeFile(file, 'hello world\n')
    expect(await cidOf(file, 0)).toBe(HELLO_V0)
    expect(await cidOf(file, 1)).toBe(HELLO_V1)
  })

  test('an empty file', async () => {
    const file = path.join(tmp, 'empty')
    await fs.writeFile(file, '')
    expect(await cidOf(file, 0)).toBe(EMPTY_FILE_V0)
  })

  test('an empty folder as CIDv0 and CIDv1', async () => {
    const dir = path.join(tmp, 'empty-dir')
    await fs.mkdir(dir)
    expect(await cidOf(dir, 0)).toBe(EMPTY_DIR_V0)
    expect(await cidOf(dir, 1)).toBe(EMPTY_DIR_V1)
  })

  test('the root is the folder itself: its name does not change the CID', async () => {
    for (const name of ['a', 'results']) {
      await fs.mkdir(path.join(tmp, name, 'outputs'), { recursive: true })
      await fs.writeFile(path.join(tmp, name, 'stdout'), 'out\n')
    }
    expect(await cidOf(path.join(tmp, 'a'), 0)).toBe(await cidOf(path.join(tmp, 'results'), 0))
  })

  test('dotfiles excluded give the CID of the same folder without them', async () => {
    const withDot = path.join(tmp, 'with')
    const without = path.join(tmp, 'without')
    for (const dir of [withDot, without]) {
      await fs.mkdir(path.join(dir, 'sub'), { recursive: true })
      await fs.writeFile(path.join(dir, 'sub', 'kept'), 'kept')
    }
    await fs.writeFile(path.join(withDot, '.hidden'), 'secret')
    await fs.mkdir(path.join(withDot, 'sub', '.git'))
    expect(await cidOf(withDot, 0, false)).toBe(await cidOf(without, 0))
    expect(await cidOf(withDot, 0, true)).not.toBe(await cidOf(without, 0))
  })

  test('names sort by UTF-8 bytes, as Go sorts them', () => {
    // U+FF5E sorts after U+1F600 in UTF-16 code units but before it in UTF-8.
    expect(['\u{1F600}', '\uFF5E', 'b', 'B'].sort(compareNames)).toEqual(['B', 'b', '\uFF5E', '\u{1F600}'])
  })
})

describe('publishToIpfs without a node', () => {
  test('computes the CID, writes a CARv1 whose blocks hash to their CIDs, and builds the URL', async () => {
    const results = path.join(tmp, 'results')
    await fs.mkdir(path.join(results, 'outputs', 'empty'), { recursive: true })
    await fs.writeFile(path.join(results, 'stdout'), 'hello world\n')
    await fs.writeFile(path.join(results, 'outputs', 'big.bin'), Buffer.alloc(600_000, 7))
    const log = silentLog()
    const published = await publishToIpfs(
      { resultsDir: results, workDir: tmp, log },
      { headers: [], cidVersion: 0, pin: true, includeHidden: true, car: true, gatewayUrl: 'https://ipfs.io/' }
    )
    expect(published.cid).toBe(await cidOf(results, 0))
    expect(published.outputs).toEqual({ cid: published.cid, 'ipfs-url': `https://ipfs.io/ipfs/${published.cid}` })
    expect(published.carPath).toBe(path.join(tmp, 'results.car'))
    const car = await CarBlockIterator.fromBytes(await fs.readFile(published.carPath!))
    expect((await car.getRoots()).map(String)).toEqual([published.cid])
    const seen = new Set<string>()
    for await (const block of car) {
      const digest = await sha256.digest(block.bytes)
      expect(Buffer.from(digest.bytes).equals(Buffer.from(block.cid.multihash.bytes))).toBe(true)
      expect(seen.has(block.cid.toString())).toBe(false)
      seen.add(block.cid.toString())
    }
    // Root, stdout, outputs/, outputs/empty/ and the two-chunk file with its two leaves.
    expect(seen.size).toBe(7)
    expect(seen.has(published.cid)).toBe(true)
  })

  test('without car nothing is left in the work folder', async () => {
    const results = path.join(tmp, 'results')
    await fs.mkdir(results)
    const published = await publishToIpfs(
      { resultsDir: results, workDir: path.join(tmp, 'work'), log: silentLog() },
      { headers: [], cidVersion: 1, pin: false, includeHidden: true, car: false, gatewayUrl: 'https://gw.example' }
    )
    expect(published.cid).toBe(EMPTY_DIR_V1)
    expect(published.carPath).toBeUndefined()
    await expect(fs.readdir(path.join(tmp, 'work'))).rejects.toThrow()
  })
})
