import { createReadStream } from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import * as dagPb from '@ipld/dag-pb'
import { UnixFS } from 'ipfs-unixfs'
import { importer, type BufferImporter, type ImportCandidate, type ImporterOptions } from 'ipfs-unixfs-importer'
import { fixedSize } from 'ipfs-unixfs-importer/chunker'
import { balanced } from 'ipfs-unixfs-importer/layout'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { isUtf8, nameForPeople } from '../results/names.js'

/** One block of the DAG, as the importer hands it over. */
export type PutBlock = (cid: CID, bytes: Uint8Array) => Promise<void>

export interface DagOptions {
  cidVersion: 0 | 1
  /** False drops every entry whose name starts with a dot, as `ipfs add -r` without `--hidden`. */
  includeHidden: boolean
  /** Told about entries that cannot be stored (sockets, FIFOs, devices). */
  onSkipped?: (relativePath: string, reason: string) => void
  /** Called as file bytes are read, with the running total. */
  onBytesRead?: (total: number) => void
}

export interface DagResult {
  cid: CID
  files: number
  directories: number
  symlinks: number
  bytes: number
}

/**
 * Kubo's `ipfs add` defaults (go-unixfs): 256 KiB fixed-size chunks, balanced
 * layout of 174 links a node, UnixFS `file` leaves unless CIDv1 (where Kubo
 * turns raw leaves on), Links before Data, and HAMT sharding once a
 * directory's estimated links pass 256 KiB. The importer's own defaults
 * differ (CIDv1, raw leaves), so every knob is set here.
 */
export function kuboImporterOptions(cidVersion: 0 | 1): ImporterOptions {
  return {
    cidVersion,
    rawLeaves: cidVersion === 1,
    leafType: 'file',
    bufferImporter: leanBufferImporter(cidVersion, cidVersion === 1),
    // The importer's default reads 50 files at once, each with 10 chunks in
    // flight: hundreds of MiB for a folder of large files. One chunk at a
    // time (read ahead by the file stream) hashes as fast on two cores and
    // leaves the least garbage between V8's collections.
    fileImportConcurrency: IMPORT_CONCURRENCY,
    blockWriteConcurrency: IMPORT_CONCURRENCY,
    reduceSingleLeafToSelf: true,
    chunker: fixedSize({ chunkSize: 262_144 }),
    layout: balanced({ maxChildrenPerNode: 174 }),
    shardSplitThresholdBytes: 262_144,
    shardSplitStrategy: 'links-bytes',
    fieldOrder: 'links-first',
    wrapWithDirectory: false
  }
}

const IMPORT_CONCURRENCY = 1

/**
 * The importer's own buffer importer (same blocks, same CIDs), except that a
 * `file` leaf keeps only its size once its block is stored. The importer
 * holds every leaf of a 174-leaf batch until it builds their parent, and
 * with the chunk attached that was 44 MiB per file in flight; the parent
 * needs only the size, which a UnixFS without data gives through fileSize().
 */
function leanBufferImporter(cidVersion: 0 | 1, rawLeaves: boolean): BufferImporter {
  return async function* (file, blockstore) {
    for await (const chunk of file.content) {
      yield async () => {
        if (rawLeaves) {
          const cid = CID.create(1, raw.code, await sha256.digest(chunk))
          await blockstore.put(cid as never, chunk)
          return { cid: cid as never, size: BigInt(chunk.byteLength), block: chunk }
        }
        const block = dagPb.encode({ Data: new UnixFS({ type: 'file', data: chunk }).marshal(), Links: [] })
        const cid = CID.create(cidVersion, dagPb.code, await sha256.digest(block))
        await blockstore.put(cid as never, block)
        return {
          cid: cid as never,
          size: BigInt(block.byteLength),
          block,
          unixfs: new UnixFS({ type: 'file', blockSizes: [BigInt(chunk.byteLength)] })
        }
      }
    }
  }
}

/** Go compares strings by their UTF-8 bytes; JavaScript's sort would not. */
export function compareNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'))
}

// The importer needs a name for the top folder; the name never reaches a CID
// because the root is the folder itself, not a link inside a wrapper.
const ROOT = 'root'

/**
 * Builds the UnixFS DAG of the folder (or file) `dir` exactly as `ipfs add -r` would, handing each
 * block to `put`, and returns the root CID. Files are streamed, read once.
 */
export async function buildUnixfsDag(dir: string, options: DagOptions, put: PutBlock): Promise<DagResult> {
  const stats = await fs.stat(dir)
  const counts = { files: 0, directories: 0, symlinks: 0, bytes: 0 }
  const blockstore = {
    put: async (cid: { bytes: Uint8Array }, bytes: Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>) => {
      // The importer only ever hands over whole blocks, but the type allows streams.
      const block = bytes instanceof Uint8Array ? bytes : await collect(bytes)
      await put(CID.decode(cid.bytes), block)
      return cid
    }
  }
  let root: CID | undefined
  // A single file is allowed too, for CIDs of files (the test vectors are files).
  const source = stats.isDirectory()
    ? walk(dir, ROOT, options, counts)
    : [{ path: ROOT, content: readFile(dir, counts, options) }]
  if (!stats.isDirectory()) counts.files++
  for await (const entry of importer(source, blockstore as never, kuboImporterOptions(options.cidVersion))) {
    if (entry.path === ROOT) root = CID.decode(entry.cid.bytes)
  }
  if (!root) throw new Error(`the importer returned no root for ${dir}`)
  return { cid: root, ...counts }
}

async function collect(source: Iterable<Uint8Array> | AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = []
  for await (const chunk of source) chunks.push(chunk)
  return Buffer.concat(chunks)
}

/** Depth-first, names sorted, as Kubo's serial file walker. */
async function* walk(
  dir: string,
  importPath: string,
  options: DagOptions,
  counts: { files: number; directories: number; symlinks: number; bytes: number }
): AsyncGenerator<ImportCandidate> {
  counts.directories++
  // The folder itself first, so that an empty one is still a link in its parent.
  yield { path: importPath }
  // Read as bytes: as strings, a name that is not UTF-8 would come back
  // mangled (U+FFFD) and name no file at all.
  const names: string[] = []
  for (const raw of await fs.readdir(dir, { encoding: 'buffer' })) {
    if (!options.includeHidden && raw[0] === 0x2e) continue
    if (!isUtf8(raw)) {
      const relative = [importPath.slice(ROOT.length + 1), nameForPeople(raw)].filter(Boolean).join('/')
      throw new Error(
        `${relative} in the results is not a valid UTF-8 name; a CID names its files in UTF-8, so rename it in the container.`
      )
    }
    names.push(raw.toString('utf8'))
  }
  names.sort(compareNames)
  for (const name of names) {
    if (!options.includeHidden && name.startsWith('.')) continue
    const full = path.join(dir, name)
    const child = `${importPath}/${name}`
    const relative = child.slice(ROOT.length + 1)
    const stats = await fs.lstat(full)
    if (stats.isSymbolicLink()) {
      counts.symlinks++
      yield { path: child, link: await fs.readlink(full) }
    } else if (stats.isDirectory()) {
      yield* walk(full, child, options, counts)
    } else if (stats.isFile()) {
      counts.files++
      yield { path: child, content: readFile(full, counts, options) }
    } else {
      options.onSkipped?.(relative, 'not a file, folder or symlink')
    }
  }
}

/** Opened only when the importer starts on it, so thousands of files do not hold thousands of descriptors. */
async function* readFile(file: string, counts: { bytes: number }, options: DagOptions): AsyncGenerator<Uint8Array> {
  for await (const chunk of createReadStream(file, { highWaterMark: 262_144 })) {
    counts.bytes += (chunk as Buffer).byteLength
    options.onBytesRead?.(counts.bytes)
    yield chunk as Buffer
  }
}
