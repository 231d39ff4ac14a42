// Rewrites the inputs and outputs tables in README.md from action.yml, so the
// documentation cannot drift from what the action declares. Run by
// `npm run build`.
import fs from 'node:fs'
import { parse } from 'yaml'

const action = parse(fs.readFileSync('action.yml', 'utf8'))
const cell = (text) =>
  String(text ?? '')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/\|/g, '\\|')

const inputs = [
  '| input | default | description |',
  '| --- | --- | --- |',
  ...Object.entries(action.inputs).map(
    ([name, spec]) =>
      `| \`${name}\`${spec.required ? ' (required)' : ''} | ${spec.default === undefined || spec.default === '' ? '' : `\`${cell(spec.default)}\``} | ${cell(spec.description)} |`
  )
].join('\n')
const outputs = [
  '| output | description |',
  '| --- | --- |',
  ...Object.entries(action.outputs).map(([name, spec]) => `| \`${name}\` | ${cell(spec.description)} |`)
].join('\n')

function replaceBetween(text, name, body) {
  const pattern = new RegExp(`(<!-- start ${name} -->\\n)[\\s\\S]*?(<!-- end ${name} -->)`)
  if (!pattern.test(text)) throw new Error(`README.md has no <!-- start ${name} --> ... <!-- end ${name} --> block`)
  return text.replace(pattern, `$1${body}\n$2`)
}

const readme = fs.readFileSync('README.md', 'utf8')
const updated = replaceBetween(replaceBetween(readme, 'inputs', inputs), 'outputs', outputs)
if (updated !== readme) fs.writeFileSync('README.md', updated)
