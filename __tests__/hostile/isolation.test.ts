// What a job's container can and cannot do, proven from inside it. Every
// test runs the busybox image with the action's default settings unless it
// says otherwise.
import dgram from 'node:dgram'
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals'
import Docker from 'dockerode'
import { jobSandbox, readText } from '../helpers/job.js'

const docker = new Docker()
const sandbox = jobSandbox('isolation')
const stdoutOf = async (values: Record<string, string>) => readText((await sandbox.job(values)).results.stdout)

let hostService: net.Server
let hostPort: number
let connections = 0
let bridgeGateway: string
let dns: dgram.Socket
let dnsPort: number
let dnsQueries = 0

/** A DNS server on the host that answers every A query with 192.0.2.7. */
function dnsAnswer(query: Buffer): Buffer {
  dnsQueries++
  const questionEnd = query.indexOf(0, 12) + 5
  const header = Buffer.from(query.subarray(0, 12))
  header.writeUInt16BE(0x8180, 2) // a response, recursion available, no error
  header.writeUInt16BE(1, 6) // one answer
  header.writeUInt16BE(0, 8)
  header.writeUInt16BE(0, 10)
  const answer = Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 7])
  return Buffer.concat([header, query.subarray(12, questionEnd), answer])
}

beforeAll(async () => {
  hostService = net.createServer((socket) => {
    connections++
    socket.end('hello from the host\n')
  })
  // Listening on every address: reachable from the loopback and the Docker bridge alike.
  await new Promise<void>((resolve) => hostService.listen(0, '0.0.0.0', resolve))
  hostPort = (hostService.address() as net.AddressInfo).port
  // Docker 20.10 leaves IPAM's Gateway empty for the default bridge; it is then the subnet's first address.
  const ipam = (await docker.getNetwork('bridge').inspect()).IPAM?.Config?.[0] ?? {}
  bridgeGateway = ipam.Gateway || String(ipam.Subnet).replace(/\.0\/\d+$/, '.1')
  expect(bridgeGateway).toMatch(/^\d+\.\d+\.\d+\.\d+$/)
  dns = dgram.createSocket('udp4')
  dns.on('message', (query, peer) => dns.send(dnsAnswer(query), peer.port, peer.address))
  await new Promise<void>((resolve) => dns.bind(0, '0.0.0.0', resolve))
  dnsPort = dns.address().port
  fs.mkdirSync(path.join(sandbox.workspace, 'data'))
  fs.writeFileSync(path.join(sandbox.workspace, 'data', 'in.txt'), 'input\n')
})

afterAll(async () => {
  dns.close()
  await new Promise<void>((resolve) => hostService.close(() => resolve()))
  sandbox.cleanup()
})

afterEach(async () => expect(await sandbox.leftoverContainers()).toEqual([]))

const probe = (host: string) => `nc -w 2 ${host} PORT </dev/null >/dev/null 2>&1 && echo reached || echo blocked`

describe('with network: none', () => {
  it('has only the loopback interface', async () => {
    expect(await stdoutOf({ run: 'ls /sys/class/net' })).toBe('lo\n')
  })

  it('cannot reach a service on the host, by loopback or by the bridge gateway', async () => {
    const script = [probe('127.0.0.1'), probe(bridgeGateway)].join('; ').replaceAll('PORT', String(hostPort))
    expect(await stdoutOf({ run: script })).toBe('blocked\nblocked\n')
    expect(connections).toBe(0)
  })

  it('cannot resolve names, not even through a DNS server on the host', async () => {
    const lookup = `timeout 5 nslookup -port=${dnsPort} data.example ${bridgeGateway} 2>&1 | grep -q 192.0.2.7 && echo resolved || echo no-dns`
    expect(await stdoutOf({ run: lookup })).toBe('no-dns\n')
    expect(dnsQueries).toBe(0)
  })

  it('the same probes succeed with network: full, so the probes themselves work', async () => {
    const connect = probe(bridgeGateway).replaceAll('PORT', String(hostPort))
    const lookup = `timeout 5 nslookup -port=${dnsPort} data.example ${bridgeGateway} 2>&1 | grep -q 192.0.2.7 && echo resolved || echo no-dns`
    expect(await stdoutOf({ network: 'full', run: `${connect}; ${lookup}` })).toBe('reached\nresolved\n')
    expect(connections).toBe(1)
    expect(dnsQueries).toBeGreaterThan(0)
    connections = 0
    dnsQueries = 0
  })
})

describe('privileges', () => {
  it('has empty capability sets and NoNewPrivs', async () => {
    const status = await stdoutOf({
      run: 'grep -E "^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs):" /proc/self/status'
    })
    expect(
      Object.fromEntries(
        status
          .trim()
          .split('\n')
          .map((line) => line.split(/:\s+/))
      )
    ).toEqual({
      CapInh: '0000000000000000',
      CapPrm: '0000000000000000',
      CapEff: '0000000000000000',
      CapBnd: '0000000000000000',
      CapAmb: '0000000000000000',
      NoNewPrivs: '1'
    })
  })

  it("runs as the runner's uid:gid unless user says otherwise", async () => {
    expect(await stdoutOf({ run: 'echo "$(id -u):$(id -g)"' })).toBe(`${process.getuid!()}:${process.getgid!()}\n`)
    expect(await stdoutOf({ user: '1234:5678', run: 'echo "$(id -u):$(id -g)"' })).toBe('1234:5678\n')
  })

  it('does not see the Docker socket', async () => {
    expect(await stdoutOf({ run: 'ls /var/run/docker.sock /run/docker.sock 2>/dev/null | wc -l' })).toBe('0\n')
  })
})

describe('files', () => {
  it('mounts inputs read-only', async () => {
    const out = await stdoutOf({
      inputs: 'data',
      run: 'cat /inputs/in.txt; echo x > /inputs/in.txt 2>/dev/null || echo refused; touch /inputs/new 2>/dev/null || echo refused'
    })
    expect(out).toBe('input\nrefused\nrefused\n')
    expect(fs.readdirSync(path.join(sandbox.workspace, 'data'))).toEqual(['in.txt'])
  })
})

describe('limits', () => {
  it('stops a fork bomb at the pids limit, and the runner survives', async () => {
    const outcome = await sandbox.job({
      timeout: '20s',
      run: 'bomb() { bomb | bomb & }; bomb; sleep 2; echo survived-in-container; cat /sys/fs/cgroup/pids/pids.max'
    })
    // The kernel refused new processes at the limit; the job's shell still finished or hit the timeout.
    expect(readText(outcome.results.stderr)).toMatch(/can't fork|Resource temporarily unavailable|Cannot fork/i)
    expect(await stdoutOf({ command: 'echo alive' })).toBe('alive\n')
  })
})
