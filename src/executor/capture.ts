import fs from 'node:fs'
import { Writable } from 'node:stream'
import { once } from 'node:events'

/** Bacalhau keeps the first 1 GB of each stream; we do too, but say so when it happens. */
export const RESULT_STREAM_CAP = 2 ** 30
/** Past this, a stream is still written to its file but no longer echoed to the step log. */
export const LIVE_ECHO_CAP = 64 * 2 ** 20

export interface CapturedStream {
  /** Bytes the container wrote to the stream. */
  bytes: number
  /** Bytes kept in the results file (at most the cap). */
  keptBytes: number
  truncated: boolean
}

/**
 * One container stream: kept in a results file up to a cap and echoed live
 * to the step log up to a smaller cap. Writes wait for the file, so a fast
 * container is slowed to the disk's pace instead of filling memory.
 */
export class StreamCapture {
  private readonly file: fs.WriteStream
  private written = 0
  private echoed = 0
  private readonly failed: Promise<never>

  constructor(
    filePath: string,
    private readonly echo: (chunk: Buffer) => void,
    private readonly onEchoStopped: () => void,
    private readonly cap = RESULT_STREAM_CAP,
    private readonly echoCap = LIVE_ECHO_CAP
  ) {
    this.file = fs.createWriteStream(filePath)
    this.failed = once(this.file, 'error').then(([error]) => Promise.reject(error as Error))
    this.failed.catch(() => {})
  }

  async write(chunk: Buffer): Promise<void> {
    const start = this.written
    this.written += chunk.length
    if (this.echoed < this.echoCap) {
      const part = chunk.subarray(0, this.echoCap - this.echoed)
      this.echoed += part.length
      this.echo(part)
      if (this.echoed >= this.echoCap) this.onEchoStopped()
    }
    if (start >= this.cap) return
    const kept = chunk.subarray(0, this.cap - start)
    if (!this.file.write(kept)) await Promise.race([once(this.file, 'drain'), this.failed])
  }

  async close(): Promise<CapturedStream> {
    this.file.end()
    await Promise.race([once(this.file, 'finish'), this.failed])
    const keptBytes = Math.min(this.written, this.cap)
    return { bytes: this.written, keptBytes, truncated: this.written > this.cap }
  }
}

/**
 * Splits Docker's multiplexed attach stream (Tty off): each frame is an 8-byte
 * header (stream type, 3 zero bytes, big-endian length) and its payload.
 * Unlike docker-modem's demuxStream, it waits for each sink before asking for
 * more, so backpressure reaches the container.
 */
export class DockerStreamDemuxer extends Writable {
  private pending: Buffer = Buffer.alloc(0)

  constructor(private readonly sinks: { 1: StreamCapture; 2: StreamCapture }) {
    super()
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk
    this.drainFrames().then(() => callback(), callback)
  }

  private async drainFrames(): Promise<void> {
    while (this.pending.length >= 8) {
      const size = this.pending.readUInt32BE(4)
      if (this.pending.length < 8 + size) return
      const type = this.pending[0]
      const payload = this.pending.subarray(8, 8 + size)
      this.pending = this.pending.subarray(8 + size)
      // Type 0 (stdin) never comes back; anything unknown is treated as stdout.
      await (type === 2 ? this.sinks[2] : this.sinks[1]).write(payload)
    }
  }
}
