// `npm run bench [-- --quick] [-- --only container,http]`: every scenario of
// issue 6, each side against its baseline, alternating, on this machine's
// real servers; prints a table and writes bench/results/<time>.json.
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import Docker from 'dockerode'
import { RUN_LABEL } from '../src/executor/engine.js'
import { FULL, FULL_DISK_BYTES, QUICK, type Context, type Scenario } from './harness/context.js'
import type { ComparisonResult } from './harness/measure.js'
import { writeRandomFolder } from './harness/data.js'
import { NODE } from './harness/proc.js'
import { formatTable } from './harness/report.js'
import { Servers } from './harness/servers.js'
import { isBenchRun } from './harness/run-id.js'
import { containerScenario } from './scenarios/container.js'
import { httpScenario } from './scenarios/http.js'
import { ipfsInputScenario } from './scenarios/ipfs-input.js'
import { memoryScenario } from './scenarios/memory.js'
import { artifactScenario, cidScenario, ipfsPublishScenario } from './scenarios/publish.js'
import { s3Scenario } from './scenarios/s3.js'
import { stepScenario } from './scenarios/step.js'

const scenarios: Scenario[] = [
  containerScenario,
  stepScenario,
  httpScenario,
  s3Scenario,
  ipfsInputScenario,
  cidScenario,
  ipfsPublishScenario,
  artifactScenario,
  memoryScenario
]

function parseArgs(argv: string[]): { quick: boolean; only?: string[]; runs?: number } {
  const options: { quick: boolean; only?: string[]; runs?: number } = { quick: false }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === '--quick') options.quick = true
    else if (arg === '--only') options.only = (argv[++i] ?? '').split(',').filter(Boolean)
    else if (arg.startsWith('--only=')) options.only = arg.slice(7).split(',').filter(Boolean)
    else if (arg === '--runs') options.runs = Number(argv[++i])
    else if (arg.startsWith('--runs=')) options.runs = Number(arg.slice(7))
    else throw new Error(`unknown argument ${arg}; use --quick, --only a,b or --runs N`)
  }
  if (options.runs !== undefined && !(Number.isInteger(options.runs) && options.runs >= 1)) {
    throw new Error('--runs takes a whole number of runs, 1 or more')
  }
  const known = scenarios.flatMap((s) => [s.id, ...(s.parts ?? [])])
  for (const id of options.only ?? []) {
    if (!known.includes(id)) {
      throw new Error(`no scenario ${id}; there are ${known.join(', ')}`)
    }
  }
  return options
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2))
  const sizes = { ...(options.quick ? QUICK : FULL), ...(options.runs ? { runs: options.runs } : {}) }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cod-bench-'))
  const memory = !options.only || options.only.includes('memory')
  const free = fs.statfsSync(tmp).bavail * fs.statfsSync(tmp).bsize
  if (!options.quick && memory && free < FULL_DISK_BYTES) {
    fs.rmSync(tmp, { recursive: true, force: true })
    throw new Error(
      `the memory scenario needs ${FULL_DISK_BYTES / 2 ** 30} GiB free in ${os.tmpdir()} (10 GiB of results and Azurite's copy of them); there are ${(free / 2 ** 30).toFixed(0)} GiB. Free some space, set TMPDIR, or leave it out with --only.`
    )
  }
  const servers = new Servers(path.join(tmp, 'http'))
  fs.mkdirSync(path.join(tmp, 'http'))
  let cleaned = false
  const cleanup = async (): Promise<void> => {
    if (cleaned) return
    cleaned = true
    await servers.stopAll()
    await removeBenchContainers().catch(() => {})
    fs.rmSync(tmp, { recursive: true, force: true })
  }
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`\n${signal}: cleaning up`)
      void cleanup().finally(() => process.exit(130))
    })
  }
  let folder: string | undefined
  const context: Context = {
    sizes,
    tmp,
    servers,
    log: (line) => console.log(line),
    wants: () => true,
    folder: () => {
      if (!folder) {
        folder = path.join(tmp, 'folder')
        console.log(`  writing ${sizes.folderBytes / 2 ** 20} MiB across ${sizes.folderFiles} files`)
        writeRandomFolder(folder, sizes.folderBytes, sizes.folderFiles)
      }
      return folder
    }
  }
  const results: ComparisonResult[] = []
  const started = new Date()
  const loadAtStart = os.loadavg()
  try {
    for (const scenario of scenarios) {
      const parts = scenario.parts?.filter((part) => options.only?.includes(part))
      if (options.only && !options.only.includes(scenario.id) && !parts?.length) continue
      console.log(`\n== ${scenario.id} ==`)
      const wanted = options.only?.includes(scenario.id) || !parts?.length ? undefined : parts
      results.push(...(await scenario.run({ ...context, wants: (part) => !wanted || wanted.includes(part) })))
    }
  } finally {
    await cleanup()
  }
  console.log(`\n${formatTable(results)}`)
  const out = path.resolve('bench/results', `${started.toISOString().replace(/[:.]/g, '-')}.json`)
  fs.mkdirSync(path.dirname(out), { recursive: true })
  const report = {
    mode: options.quick ? 'quick' : 'full',
    startedAt: started.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model,
      memoryBytes: os.totalmem(),
      nodeForSides: execFileSync(NODE, ['--version'], { encoding: 'utf8' }).trim(),
      docker: execFileSync('docker', ['version', '--format', '{{.Server.Version}}'], { encoding: 'utf8' }).trim(),
      // 1, 5 and 15 minute load averages: other work on the machine skews the times.
      loadAtStart,
      loadAtEnd: os.loadavg()
    },
    sizes,
    results
  }
  fs.writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`)
  console.log(`\nWrote ${path.relative(process.cwd(), out)}`)
  if (results.some((r) => !r.met)) process.exitCode = 1
}

/** Containers a bench side left (an interrupted run): only those whose run label the bench chose. */
async function removeBenchContainers(): Promise<void> {
  const docker = new Docker()
  const left = await docker.listContainers({ all: true, filters: { label: [RUN_LABEL] } })
  for (const info of left) {
    if (isBenchRun(info.Labels[RUN_LABEL])) await docker.getContainer(info.Id).remove({ force: true })
  }
}

main().catch((error: Error) => {
  console.error(error.stack ?? error.message)
  process.exit(1)
})
