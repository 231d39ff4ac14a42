import fs from 'node:fs/promises'
import path from 'node:path'
import type { JobOutcome } from '../job.js'
import type { InputIdentity } from '../storage/types.js'
import { ACTION_VERSION } from '../version.js'

export const MANIFEST_FILE = 'manifest.json'

/** What ran, on what, and what came out: enough to reproduce or audit a run. */
export interface Manifest {
  action: { name: 'compute-over-data'; version: string }
  image: { reference: string; digest: string; id: string; platform: string }
  process: { entrypoint?: string[]; command?: string[]; workdir?: string; user: string }
  /** Names only: values may be secrets. */
  envNames: string[]
  network: string
  limits: { nanoCpus?: number; memoryBytes?: number; gpus: number; timeoutMs?: number }
  inputs: Array<{ target: string; identity: InputIdentity }>
  outputs: Array<{ name: string; path: string }>
  result: {
    exitCode: number
    startedAt: string
    durationMs: number
    /**
     * True when the container did not finish on its own (stopped at the
     * timeout, killed for memory, or killed from outside the action): the
     * results hold what it wrote until then, and are published all the same.
     */
    partial: boolean
    timedOut: boolean
    oomKilled: boolean
    killedExternally: boolean
    stdout: { bytes: number; keptBytes: number; truncated: boolean }
    stderr: { bytes: number; keptBytes: number; truncated: boolean }
  }
  ipfs?: { cid: string; cidVersion: number; rawLeaves: boolean; includeHidden: boolean; imported: boolean }
}

export function buildManifest(outcome: JobOutcome, ipfs?: Manifest['ipfs']): Manifest {
  const { spec, image, container } = outcome
  return {
    action: { name: 'compute-over-data', version: ACTION_VERSION },
    image: { reference: spec.image.reference, digest: image.digest, id: image.id, platform: image.platform },
    process: { entrypoint: spec.entrypoint, command: spec.command, workdir: spec.workdir, user: spec.user },
    envNames: spec.env.map(([name]) => name),
    network: spec.network,
    limits: { nanoCpus: spec.nanoCpus, memoryBytes: spec.memoryBytes, gpus: spec.gpus, timeoutMs: spec.timeoutMs },
    inputs: outcome.inputs.map((identity, index) => ({ target: spec.inputs[index]!.target, identity })),
    outputs: spec.outputs.map(({ name, path }) => ({ name, path })),
    result: {
      exitCode: container.exitCode,
      startedAt: container.startedAt.toISOString(),
      durationMs: container.durationMs,
      partial: isPartial(outcome),
      timedOut: container.timedOut,
      oomKilled: container.oomKilled,
      killedExternally: container.killedExternally,
      stdout: container.stdout,
      stderr: container.stderr
    },
    ipfs
  }
}

/** The container was cut short, so its results are what it wrote until then. */
export function isPartial(outcome: JobOutcome): boolean {
  const { timedOut, oomKilled, killedExternally } = outcome.container
  return timedOut || oomKilled || killedExternally
}

/**
 * Written beside the results folder, not inside it, so that the results' CID
 * covers only what the job produced.
 */
export async function writeManifest(workDir: string, manifest: Manifest): Promise<string> {
  const file = path.join(workDir, MANIFEST_FILE)
  await fs.mkdir(workDir, { recursive: true })
  await fs.writeFile(file, `${JSON.stringify(manifest, null, 2)}\n`)
  return file
}
