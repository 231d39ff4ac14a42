// `npm run example`: sets up what is missing (the Docker engine), builds a
// tiny local image, and runs the bundled action (dist/index.js) on the
// example data exactly as the GitHub runner would, then prints the step
// outputs and the results folder.
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import Docker from 'dockerode'
import tar from 'tar-stream'
import { runAction } from './run-action.mjs'

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const example = path.join(repoRoot, 'examples/word-count')
const image = 'compute-over-data-example:local'

execFileSync('bash', [path.join(repoRoot, 'script/setup-docker.sh')], { stdio: 'inherit' })

async function buildImage() {
  const pack = tar.pack()
  pack.entry({ name: 'Dockerfile' }, fs.readFileSync(path.join(example, 'Dockerfile')))
  pack.entry({ name: 'busybox', mode: 0o755 }, fs.readFileSync('/bin/busybox'))
  pack.finalize()
  const docker = new Docker()
  const stream = await docker.buildImage(Readable.from(pack), { t: image })
  await new Promise((resolve, reject) =>
    docker.modem.followProgress(stream, (error, events) => {
      const failed = error ?? events.find((e) => e.error)?.error
      if (failed) reject(new Error(String(failed)))
      else resolve()
    })
  )
}

console.log(`Building ${image} from examples/word-count/Dockerfile ...`)
await buildImage()

const runnerTemp = fs.mkdtempSync(path.join(os.tmpdir(), 'cod-example-'))
const workspace = path.join(runnerTemp, 'workspace')
fs.cpSync(path.join(example, 'data'), path.join(workspace, 'data'), { recursive: true })
const resultsDir = path.join(runnerTemp, 'results')

console.log('Running dist/index.js as the runner would ...\n')
const result = await runAction({
  workspace,
  runnerTemp,
  echo: true,
  inputs: {
    image,
    pull: 'never',
    inputs: 'data:/inputs',
    run: [
      'for f in /inputs/*; do echo "$(wc -w < "$f") $(basename "$f")"; done | sort -rn > /outputs/word-counts.txt',
      'echo "counted $(ls /inputs | wc -l) files"',
      'id -u >&2'
    ].join('\n'),
    'results-dir': resultsDir,
    'artifact-name': ''
  }
})

console.log('\nStep outputs:')
for (const [name, value] of Object.entries(result.outputs)) console.log(`  ${name} = ${value}`)
console.log(`\nResults folder ${resultsDir}:`)
for (const entry of fs.readdirSync(resultsDir, { recursive: true }).sort()) {
  const full = path.join(resultsDir, entry)
  if (fs.statSync(full).isFile()) {
    console.log(`  ${entry} (${fs.statSync(full).size} bytes)`)
  }
}
console.log('\noutputs/word-counts.txt:')
console.log(fs.readFileSync(path.join(resultsDir, 'outputs/word-counts.txt'), 'utf8'))
const ok = result.exitCode === 0 && result.postExitCode === 0
console.log(
  ok ? 'Example finished.' : `Example failed (main exit ${result.exitCode}, post exit ${result.postExitCode}).`
)
fs.rmSync(runnerTemp, { recursive: true, force: true })
process.exit(ok ? 0 : 1)
