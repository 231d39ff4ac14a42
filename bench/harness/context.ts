import type { ComparisonResult } from './measure.js'
import type { Servers } from './servers.js'

/** Sizes and counts of one mode: the full figures, or a quick sanity check. */
export interface Sizes {
  runs: number
  httpFileBytes: number
  s3SmallObjects: number
  s3SmallObjectBytes: number
  s3LargeObjectBytes: number
  ipfsInputBytes: number
  folderBytes: number
  folderFiles: number
  memoryFolders: [small: number, large: number]
}

export const FULL: Sizes = {
  runs: 5,
  httpFileBytes: 256 * 2 ** 20,
  s3SmallObjects: 2000,
  s3SmallObjectBytes: 4 * 2 ** 10,
  s3LargeObjectBytes: 512 * 2 ** 20,
  ipfsInputBytes: 256 * 2 ** 20,
  folderBytes: 2 ** 30,
  folderFiles: 1000,
  memoryFolders: [2 ** 30, 10 * 2 ** 30]
}

export const QUICK: Sizes = {
  runs: 2,
  httpFileBytes: 32 * 2 ** 20,
  s3SmallObjects: 50,
  s3SmallObjectBytes: 4 * 2 ** 10,
  s3LargeObjectBytes: 32 * 2 ** 20,
  ipfsInputBytes: 16 * 2 ** 20,
  folderBytes: 64 * 2 ** 20,
  folderFiles: 50,
  memoryFolders: [16 * 2 ** 20, 160 * 2 ** 20]
}

/** Free space the full mode needs: the memory scenario's 10 GiB of results and Azurite's copy, with room to spare. */
export const FULL_DISK_BYTES = 25 * 2 ** 30

export interface Context {
  sizes: Sizes
  /** The bench's scratch folder; everything a scenario makes goes under it. */
  tmp: string
  servers: Servers
  log: (line: string) => void
  /** Whether a comparison of a scenario with `parts` was asked for (`--only` may name parts). */
  wants: (part: string) => boolean
  /** The results-like folder of `folderBytes` across `folderFiles` files, written once and shared. */
  folder: () => string
}

export interface Scenario {
  id: string
  /** Comparisons that `--only` may name one by one. */
  parts?: string[]
  run(context: Context): Promise<ComparisonResult[]>
}
