// Container-side attacks: what a job's own code can do to the results, and
// what the publishers, the summary and the post step make of it. Each runs
// the bundle with both publishers on (the js-ipfs node and the artifact
// service), so what is checked is what was really published.
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, it } from '@jest/globals'
import { UnixFS } from 'ipfs-unixfs'
import * as dagPb from '@ipld/dag-pb'
import { create as createKubo } from 'kubo-rpc-client'
import { CID } from 'multiformats/cid'
import { artifactEntries, artifactEnv, expectNothingLeft, hostileSandbox } from './harness.js'

const ipfsApi = process.env.COD_IPFS_API
if (!ipfsApi) throw new Error('COD_IPFS_API is not set: the hostile suite needs every test server (run npm test).')
const node = createKubo({ url: ipfsApi })
const sandbox = hostileSandbox('attacks')
afterAll(() => sandbox.cleanup())

/** A folder's links on the IPFS node, each with its UnixFS type and, for a symlink, its target. */
async function ipfsListing(cid: string): Promise<Map<string, { type: string; target?: string }>> {
  const folder = dagPb.decode(await node.block.get(CID.parse(cid) as never))
  const listing = new Map<string, { type: string; target?: string }>()
  for (const link of folder.Links) {
    const child = dagPb.decode(await node.block.get(CID.decode(link.Hash.bytes) as never))
    const unixfs = UnixFS.unmarshal(child.Data!)
    const target = unixfs.type === 'symlink' ? new TextDecoder().decode(unixfs.data) : undefined
    listing.set(link.Name!, { type: unixfs.type, ...(target !== undefined ? { target } : {}) })
  }
  return listing
}

async function childCid(cid: string, name: string): Promise<string> {
  const folder = dagPb.decode(await node.block.get(CID.parse(cid) as never))
  const link = folder.Links.find((l) => l.Name === name)
  if (!link) throw new Error(`${cid} has no link ${name}`)
  return CID.decode(link.Hash.bytes).toString()
}

describe('container-side attacks', () => {
  it('handles symlinks in /outputs to /etc/passwd, ../../ and a host folder: stored as links, never followed', async () => {
    // A folder on the host with a file the post step must not delete through a link.
    const hostFolder = fs.mkdtempSync(path.join(sandbox.root, 'host-folder-'))
    fs.writeFileSync(path.join(hostFolder, 'precious.txt'), 'must survive\n')
    const artifact = artifactEnv()
    const run = await sandbox.step({
      env: artifact.env,
      inputs: {
        'ipfs-api': ipfsApi!,
        'artifact-name': 'results',
        run: [
          'cd /outputs',
          'echo data > real.txt',
          'ln -s /etc/passwd passwd',
          'ln -s ../../ up',
          'ln -s / root',
          `ln -s ${hostFolder} host`,
          'ln -s real.txt inside',
          'ln -s ../stdout stdout-link',
          'echo done'
        ].join('\n')
      }
    })
    expect(run.errors).toEqual([])
    expect(run.exitCode).toBe(0)

    // IPFS: every link is a UnixFS symlink with its target as written, not the file it points at.
    const cid = run.outputs.cid!
    const outputs = await ipfsListing(await childCid(cid, 'outputs'))
    expect(Object.fromEntries(outputs)).toEqual({
      host: { type: 'symlink', target: hostFolder },
      inside: { type: 'symlink', target: 'real.txt' },
      passwd: { type: 'symlink', target: '/etc/passwd' },
      'real.txt': { type: 'file' },
      root: { type: 'symlink', target: '/' },
      'stdout-link': { type: 'symlink', target: '../stdout' },
      up: { type: 'symlink', target: '../../' }
    })

    // Artifact: links inside the results become their file; links out are left out, with a warning each.
    const [uploaded] = await artifact.listArtifacts()
    const entries = await artifactEntries(uploaded!)
    const outputEntries = [...entries.keys()].filter((name) => name.startsWith('outputs/')).sort()
    expect(outputEntries).toEqual(['outputs/inside', 'outputs/real.txt', 'outputs/stdout-link'])
    expect(entries.get('outputs/inside')!.toString()).toBe('data\n')
    expect(entries.get('outputs/stdout-link')!.toString()).toBe('done\n')
    const hostPasswd = fs.readFileSync('/etc/passwd')
    for (const [name, bytes] of entries) {
      if (bytes !== 'dir') expect([name, bytes.includes(hostPasswd)]).toEqual([name, false])
    }
    for (const name of ['passwd', 'up', 'root', 'host']) {
      expect(run.log).toMatch(
        new RegExp(`::warning::Artifact 'results': outputs/${name} is left out: a symbolic link to`)
      )
    }
    expect(run.summary).toMatch(/<code>outputs\/passwd<\/code><\/td><td>symlink/)

    // The post step deleted the results folder, not what its links point at.
    expect(fs.readFileSync(path.join(hostFolder, 'precious.txt'), 'utf8')).toBe('must survive\n')
    expect(fs.existsSync('/etc/passwd')).toBe(true)
    expectNothingLeft(run, { afterMain: false })
  })

  it('handles a file name with a line break: IPFS stores it exactly, the artifact refuses it by name', async () => {
    const artifact = artifactEnv()
    const run = await sandbox.step({
      env: artifact.env,
      inputs: {
        'ipfs-api': ipfsApi!,
        'artifact-name': 'results',
        'results-dir': 'results-newline',
        run: `printf x > "/outputs/$(printf 'line\\nbreak.txt')"; echo ok > /outputs/plain.txt`
      }
    })
    const kept = fs.readdirSync(path.join(sandbox.workspace, 'results-newline', 'outputs')).sort()
    expect(kept).toEqual(['line\nbreak.txt', 'plain.txt'])
    const outputs = await ipfsListing(await childCid(run.outputs.cid!, 'outputs'))
    expect([...outputs.keys()].sort()).toEqual(['line\nbreak.txt', 'plain.txt'])
    expect(run.errors).toEqual([
      `Artifact upload 'results': "outputs/line\\nbreak.txt" in the results contain characters artifacts refuse (" : < > | * ? and line breaks). Rename them in the container, or set artifact-name to '' to skip the artifact.`
    ])
    expect(run.summary).toContain('plain.txt')
    expect(await artifact.listArtifacts()).toEqual([])
  })

  it('handles a file name that is not UTF-8: a clear error from each publisher, nothing lost, no crash', async () => {
    const artifact = artifactEnv()
    const run = await sandbox.step({
      env: artifact.env,
      inputs: {
        'ipfs-api': ipfsApi!,
        'artifact-name': 'results',
        'results-dir': 'results-latin1',
        run: `printf y > "/outputs/$(printf 'caf\\351.txt')"; echo ok > /outputs/plain.txt`
      }
    })
    // The file is in the results folder with its bytes as the container wrote them.
    const kept = fs.readdirSync(path.join(sandbox.workspace, 'results-latin1', 'outputs'), { encoding: 'buffer' })
    expect(kept.map((name) => name.toString('latin1')).sort()).toEqual(['café.txt', 'plain.txt'])
    expect(run.exitCode).toBe(1)
    expect(run.errors).toHaveLength(1)
    expect(run.errors[0]!.split('\n')).toEqual([
      expect.stringMatching(/^IPFS: outputs\/caf\\xe9\.txt in the results is not a valid UTF-8 name/),
      expect.stringMatching(
        /^Artifact upload 'results': outputs\/caf\\xe9\.txt in the results is not a valid UTF-8 name/
      )
    ])
    expect(run.log).not.toMatch(/ENOENT/)
    // The summary still lists every file, the odd byte shown escaped.
    expect(run.summary).toContain('outputs/caf\\xe9.txt')
    expect(run.summary).toContain('outputs/plain.txt')
    expect(await artifact.listArtifacts()).toEqual([])
    expect(run.outputs['exit-code']).toBe('0')
  })
})
