import { spawn } from 'node:child_process'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { RunningServer } from './types.js'

/**
 * The node runs in a child process of its own: js-ipfs and its libp2p stack
 * are ESM with versions of multiformats that differ from ours, and keeping
 * them out of Jest's process means a crash there cannot take the run with it.
 *
 * Beside the node's Kubo RPC API the child serves a trustless-gateway double
 * (`GET /ipfs/{cid}[/path]?format=car`) built on the node's own `dag export`.
 * `POST /admin/tamper?cid=ROOT` makes every later CAR for that root carry one
 * block whose bytes no longer match its CID, `POST /admin/drop?cid=ROOT` leaves
 * its last block out, and `POST /admin/reset` clears both.
 */
const CHILD = String.raw`
import http from 'node:http'
import { create } from 'ipfs-core'
import { HttpApi } from 'ipfs-http-server'
import { CarBlockIterator, CarWriter } from '@ipld/car'
import { CID } from 'multiformats/cid'
import { walkPath } from 'ipfs-unixfs-exporter'

const repo = process.env.COD_IPFS_REPO
const ipfs = await create({
  repo,
  offline: true,
  silent: true,
  preload: { enabled: false },
  init: { emptyRepo: true },
  config: {
    Addresses: { API: '/ip4/127.0.0.1/tcp/0', Gateway: '', RPC: '', Swarm: [], Delegates: [] },
    Bootstrap: [],
    Discovery: { MDNS: { Enabled: false }, webRTCStar: { Enabled: false } }
  }
})
const api = new HttpApi(ipfs)
await api.start()
const apiPort = api._apiServers[0].info.port

const tampered = new Set()
const dropped = new Set()

// Blocks read through the node, as CIDs of our own multiformats.
const nodeStore = (seen) => ({
  async * get (cid) {
    const bytes = await ipfs.block.get(CID.parse(cid.toString()))
    seen.push({ cid: CID.parse(cid.toString()), bytes })
    yield bytes
  }
})

async function carFor (root, segments) {
  // The path's own blocks first, then the target's whole DAG (dag-scope=all).
  const pathBlocks = []
  let target = root
  if (segments.length > 0) {
    for await (const entry of walkPath(root.toString() + '/' + segments.join('/'), nodeStore(pathBlocks))) {
      target = entry.cid
    }
  }
  const blocks = [...pathBlocks]
  for await (const block of await CarBlockIterator.fromIterable(ipfs.dag.export(CID.parse(target.toString())))) {
    blocks.push({ cid: CID.parse(block.cid.toString()), bytes: block.bytes })
  }
  if (dropped.has(root.toString())) blocks.pop()
  if (tampered.has(root.toString())) {
    const last = blocks[blocks.length - 1]
    const bytes = Uint8Array.from(last.bytes)
    bytes[bytes.length - 1] ^= 0xff
    blocks[blocks.length - 1] = { cid: last.cid, bytes }
  }
  const seen = new Set()
  const { writer, out } = CarWriter.create([root])
  ;(async () => {
    for (const block of blocks) {
      const key = block.cid.toString()
      if (seen.has(key)) continue
      seen.add(key)
      await writer.put(block)
    }
    await writer.close()
  })()
  return out
}

const gateway = http.createServer(async (req, res) => {
  try {
    const url = new URL(req.url, 'http://localhost')
    if (req.method === 'POST' && url.pathname === '/admin/tamper') {
      tampered.add(CID.parse(url.searchParams.get('cid')).toString())
      res.writeHead(204).end()
      return
    }
    if (req.method === 'POST' && url.pathname === '/admin/drop') {
      dropped.add(CID.parse(url.searchParams.get('cid')).toString())
      res.writeHead(204).end()
      return
    }
    if (req.method === 'POST' && url.pathname === '/admin/reset') {
      tampered.clear()
      dropped.clear()
      res.writeHead(204).end()
      return
    }
    const wantsCar = url.searchParams.get('format') === 'car' || (req.headers.accept ?? '').includes('application/vnd.ipld.car')
    const match = /^\/ipfs\/([^/]+)((?:\/[^/]+)*)\/?$/.exec(url.pathname)
    if (req.method !== 'GET' || !match) {
      res.writeHead(404).end('not found')
      return
    }
    if (!wantsCar) {
      res.writeHead(406).end('this gateway only answers with CARs')
      return
    }
    const root = CID.parse(match[1])
    const segments = match[2].split('/').filter(Boolean).map(decodeURIComponent)
    let out
    try {
      out = await carFor(root, segments)
    } catch (error) {
      res.writeHead(404).end(String(error.message))
      return
    }
    res.writeHead(200, { 'content-type': 'application/vnd.ipld.car; version=1' })
    for await (const chunk of out) {
      if (!res.write(chunk)) await new Promise((resolve) => res.once('drain', resolve))
    }
    res.end()
  } catch (error) {
    if (!res.headersSent) res.writeHead(500)
    res.end(String(error?.message ?? error))
  }
})
await new Promise((resolve) => gateway.listen(0, '127.0.0.1', resolve))

let stopping = false
async function stop () {
  if (stopping) return
  stopping = true
  gateway.closeAllConnections()
  gateway.close()
  await api.stop().catch(() => {})
  await ipfs.stop().catch(() => {})
  process.exit(0)
}
process.on('SIGTERM', stop)
// The parent holds our stdin: when it dies, so do we.
process.stdin.on('end', stop)
process.stdin.resume()

process.stdout.write(JSON.stringify({ api: 'http://127.0.0.1:' + apiPort, gateway: 'http://127.0.0.1:' + gateway.address().port }) + '\n')
`

export async function startIpfs(): Promise<RunningServer> {
  const repo = await fs.mkdtemp(path.join(os.tmpdir(), 'cod-ipfs-'))
  const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD], {
    cwd: process.cwd(),
    env: { ...process.env, COD_IPFS_REPO: repo },
    stdio: ['pipe', 'pipe', 'pipe']
  })
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000)
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const ready = await new Promise<{ api: string; gateway: string }>((resolve, reject) => {
    let stdout = ''
    const timer = setTimeout(() => reject(new Error(`js-ipfs did not start within 60 s: ${stderr}`)), 60_000)
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk
      const line = stdout.split('\n')[0]
      if (stdout.includes('\n') && line) {
        clearTimeout(timer)
        try {
          resolve(JSON.parse(line) as { api: string; gateway: string })
        } catch {
          reject(new Error(`js-ipfs printed "${line}" instead of its addresses`))
        }
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`js-ipfs exited with code ${code}: ${stderr}`))
    })
  }).catch(async (error: Error) => {
    child.kill('SIGKILL')
    await fs.rm(repo, { recursive: true, force: true })
    throw error
  })
  // The version call proves the RPC API answers, not merely that a port is open.
  const version = await fetch(`${ready.api}/api/v0/version`, { method: 'POST' })
  if (!version.ok) {
    child.kill('SIGKILL')
    throw new Error(`js-ipfs RPC API answered ${version.status} to /api/v0/version`)
  }
  // Jest must be able to exit even if teardown never runs; the child then sees
  // its stdin close and stops itself.
  child.unref()
  for (const stream of [child.stdin, child.stdout, child.stderr])
    (stream as unknown as { unref?: () => void }).unref?.()
  return {
    env: { COD_IPFS_API: ready.api, COD_IPFS_GATEWAY: ready.gateway },
    stop: async () => {
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
      await exited
      clearTimeout(timer)
      await fs.rm(repo, { recursive: true, force: true })
    }
  }
}
