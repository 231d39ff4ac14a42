// Prints what the hostile suite tried (`npm run test:hostile`): cases tried,
// clear errors, anything left behind, faults survived. It counts from the
// test results themselves: a case is a test in a cases file whose name starts
// with "refuses" (a bad input, which must get one clear error) or "handles"
// (an attack, which must be published correctly or refused clearly); the
// harness names what went wrong ("left behind: …", "unclear error: …") in
// the failure message.
import path from 'node:path'

const CASE_FILES = ['bad-inputs', 'attacks', 'stdout-flood']
const kindOf = (file) => {
  const name = path.basename(file).replace(/\.test\.ts$/, '')
  if (CASE_FILES.includes(name)) return 'cases'
  return name
}

export default class TallyReporter {
  onRunComplete(_contexts, results) {
    const tests = results.testResults
      .filter((file) => file.testFilePath.includes(`${path.sep}hostile${path.sep}`))
      .flatMap((file) => file.testResults.map((test) => ({ ...test, kind: kindOf(file.testFilePath) })))
    if (tests.length === 0) return
    const passed = (list) => list.filter((test) => test.status === 'passed').length
    const failedWith = (marker) =>
      tests.filter((test) => test.failureMessages.some((message) => message.includes(marker))).length
    const cases = tests.filter((test) => test.kind === 'cases' && /^(refuses|handles) /.test(test.title))
    const refusals = cases.filter((test) => test.title.startsWith('refuses '))
    const handled = cases.filter((test) => test.title.startsWith('handles '))
    const faults = tests.filter((test) => test.kind === 'faults')
    const proofs = (kind) => tests.filter((test) => test.kind === kind)
    const lines = [
      'Hostile suite',
      `  cases tried:      ${cases.length} (${refusals.length} bad inputs, ${handled.length} attacks and odd sources to handle)`,
      `  clear errors:     ${passed(refusals)} of ${refusals.length} bad inputs; handled: ${passed(handled)} of ${handled.length}`,
      `  left behind:      ${failedWith('left behind:')}`,
      `  unclear errors:   ${failedWith('unclear error:')}`,
      `  faults survived:  ${passed(faults)} of ${faults.length} (survived, or reported clearly)`,
      `  isolation proofs: ${passed(proofs('isolation'))} of ${proofs('isolation').length}; secrets: ${passed(proofs('secrets'))} of ${proofs('secrets').length}`
    ]
    process.stdout.write(`\n${lines.join('\n')}\n`)
  }
}
