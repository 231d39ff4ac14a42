#!/usr/bin/env node
// The Node that script/run-action.mjs starts, under GNU time: appends
// "<script> <wall µs> <peak RSS KiB>" to $COD_BENCH_TIMES for each run. (A
// shell script cannot do this: sh drops INPUT_RESULTS-DIR and the like,
// whose names are not shell identifiers.)
import { spawn } from 'node:child_process'
import fs from 'node:fs'

const report = `${process.env.COD_BENCH_TIMES}.time`
const started = process.hrtime.bigint()
const child = spawn('/usr/bin/time', ['-f', '%M', '-o', report, process.env.COD_BENCH_NODE, ...process.argv.slice(2)], {
  stdio: 'inherit'
})
child.on('close', (code, signal) => {
  const micros = (process.hrtime.bigint() - started) / 1000n
  const kib = fs.readFileSync(report, 'utf8').trim().split('\n').at(-1)
  fs.rmSync(report, { force: true })
  fs.appendFileSync(process.env.COD_BENCH_TIMES, `${process.argv[2]} ${micros} ${kib}\n`)
  process.exit(code ?? (signal ? 1 : 0))
})
for (const name of ['SIGINT', 'SIGTERM']) process.on(name, () => child.kill(name))
