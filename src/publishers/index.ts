import type { JobOutcome } from '../job.js'
import { buildManifest, writeManifest, type Manifest } from '../results/manifest.js'
import type { Log } from '../storage/types.js'
import { IpfsImportError, publishToIpfs, type IpfsPublished } from './ipfs.js'

export interface PublishOutcome {
  /** Step outputs from every publisher that succeeded. */
  outputs: Record<string, string>
  /** One message per publisher that failed; the step fails with them after the rest ran. */
  failures: string[]
  manifestPath: string
}

/**
 * IPFS first (its CID goes into the manifest, its CAR into the artifact), then
 * the manifest, then the artifact. A publisher that fails never stops the
 * next one, and never touches the results folder.
 */
export async function publishResults(outcome: JobOutcome, log: Log): Promise<PublishOutcome> {
  const { spec } = outcome
  const context = { resultsDir: outcome.results.dir, workDir: spec.workDir, log }
  const outputs: Record<string, string> = {}
  const failures: string[] = []

  let ipfs: IpfsPublished | undefined
  let imported = false
  try {
    ipfs = await log.group('Publishing to IPFS', () => publishToIpfs(context, spec.ipfs))
    imported = spec.ipfs.api !== undefined
  } catch (error) {
    if (error instanceof IpfsImportError) ipfs = error.offline
    failures.push((error as Error).message)
  }
  Object.assign(outputs, ipfs?.outputs)

  const manifestIpfs: Manifest['ipfs'] = ipfs && {
    cid: ipfs.cid,
    cidVersion: spec.ipfs.cidVersion,
    rawLeaves: spec.ipfs.cidVersion === 1,
    includeHidden: spec.ipfs.includeHidden,
    imported
  }
  const manifestPath = await writeManifest(spec.workDir, buildManifest(outcome, manifestIpfs))

  if (spec.artifact.name) {
    try {
      const extraFiles = [manifestPath, ...(ipfs?.carPath ? [ipfs.carPath] : [])]
      // Loaded only when an artifact is uploaded: the client and its Azure SDK are large.
      const { publishArtifact } = await import('./artifact.js')
      const artifact = await log.group(`Uploading artifact ${spec.artifact.name}`, () =>
        publishArtifact(context, spec.artifact, extraFiles)
      )
      Object.assign(outputs, artifact.outputs)
    } catch (error) {
      failures.push((error as Error).message)
    }
  }
  return { outputs, failures, manifestPath }
}
