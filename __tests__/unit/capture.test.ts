import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { afterAll, describe, expect, it } from '@jest/globals'
import { DockerStreamDemuxer, StreamCapture } from '../../src/executor/capture.js'

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cod-capture-'))
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

function frame(stream: 1 | 2, text: string): Buffer {
  const payload = Buffer.from(text)
  const header = Buffer.alloc(8)
  header[0] = stream
  header.writeUInt32BE(payload.length, 4)
  return Buffer.concat([header, payload])
}

describe('StreamCapture', () => {
  it('keeps the head up to the cap and records the truncation', async () => {
    const file = path.join(dir, 'capped')
    const echoed: Buffer[] = []
    let echoStopped = 0
    const capture = new StreamCapture(
      file,
      (c) => echoed.push(c),
      () => echoStopped++,
      10,
      4
    )
    await capture.write(Buffer.from('0123456'))
    await capture.write(Buffer.from('789abcdef'))
    expect(await capture.close()).toEqual({ bytes: 16, keptBytes: 10, truncated: true })
    expect(fs.readFileSync(file, 'utf8')).toBe('0123456789')
    expect(Buffer.concat(echoed).toString()).toBe('0123')
    expect(echoStopped).toBe(1)
  })

  it('does not report truncation at exactly the cap', async () => {
    const capture = new StreamCapture(
      path.join(dir, 'exact'),
      () => {},
      () => {},
      4,
      4
    )
    await capture.write(Buffer.from('abcd'))
    expect(await capture.close()).toEqual({ bytes: 4, keptBytes: 4, truncated: false })
  })
})

describe('DockerStreamDemuxer', () => {
  it('splits frames cut at any byte into stdout and stderr', async () => {
    const stream = Buffer.concat([frame(1, 'out-1\n'), frame(2, 'err-1\n'), frame(1, 'out-2\n'), frame(2, '')])
    const out = new StreamCapture(
      path.join(dir, 'out'),
      () => {},
      () => {}
    )
    const err = new StreamCapture(
      path.join(dir, 'err'),
      () => {},
      () => {}
    )
    // One byte per chunk: every header and payload is split across writes.
    const chunks = [...stream].map((byte) => Buffer.from([byte]))
    await pipeline(Readable.from(chunks), new DockerStreamDemuxer({ 1: out, 2: err }))
    await out.close()
    await err.close()
    expect(fs.readFileSync(path.join(dir, 'out'), 'utf8')).toBe('out-1\nout-2\n')
    expect(fs.readFileSync(path.join(dir, 'err'), 'utf8')).toBe('err-1\n')
  })
})
