import type { InputSource, InputSpec, SourceSettings } from '../spec/job-spec.js'

export type { SourceSettings } from '../spec/job-spec.js'

/** What a run needs to write progress to the step log. */
export interface Log {
  info(message: string): void
  warning(message: string): void
  debug(message: string): void
  /** Runs `body` inside a collapsible log group. */
  group<T>(title: string, body: () => Promise<T>): Promise<T>
  /** Registers a value that must never appear in the log (credentials). */
  mask(secret: string): void
}

/** The resolved identity of what was staged, recorded in the manifest. */
export type InputIdentity =
  | { scheme: 'workspace'; path: string }
  | { scheme: 'ipfs'; cid: string; subpath: string; resolvedCid: string }
  | { scheme: 'http'; url: string; finalUrl: string; sha256: string; filename: string }
  | {
      scheme: 's3'
      bucket: string
      key: string
      objects: Array<{ key: string; etag: string; versionId?: string; size: number }>
    }

/** One source fetched to the runner, ready to bind-mount read-only. */
export interface StagedSource {
  /** A file or folder on the host. */
  hostPath: string
  identity: InputIdentity
  bytes: number
}

export interface StageRequest<S extends InputSource = InputSource> {
  source: S
  /** A fresh, empty folder that belongs to this input alone. */
  stagingDir: string
  settings: SourceSettings
  log: Log
  signal?: AbortSignal
}

/** One module per scheme implements this. */
export type Stager<S extends InputSource = InputSource> = (request: StageRequest<S>) => Promise<StagedSource>

/** A staged input with the place it is mounted in the container. */
export interface StagedInput extends StagedSource {
  spec: InputSpec
  /** Absolute path in the container where `hostPath` is bound read-only. */
  mountPath: string
  /**
   * For a single file inside its target: `hostPath` is then a folder holding
   * only an empty mount point, and the file itself is bound over that point,
   * read-only too.
   */
  file?: { hostPath: string; mountPath: string }
}
