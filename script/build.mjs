// `npm run build`: the ncc bundle in dist/, made from nothing each time so no
// stale file survives, then the ESM shim and the README's generated tables.
// `node script/build.mjs --out DIR` makes the same bundle in DIR and leaves
// the README alone (the bench runs the code in front of it that way).
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'

const outFlag = process.argv.indexOf('--out')
const out = outFlag >= 0 ? process.argv[outFlag + 1] : 'dist'
if (!out) throw new Error('--out needs a folder')
fs.rmSync(out, { recursive: true, force: true })
execFileSync(
  process.execPath,
  [
    'node_modules/@vercel/ncc/dist/ncc/cli.js',
    'build',
    'src/index.ts',
    '--out',
    out,
    '--license',
    'licenses.txt',
    '--quiet',
    // ssh2 (under dockerode, for ssh:// Docker hosts) tries these native
    // addons and falls back to JavaScript without them. Left out, dist/ holds
    // no machine-built binary, so a rebuild anywhere gives the same bytes.
    '--external',
    'cpu-features',
    '--external',
    './crypto/build/Release/sshcrypto.node'
  ],
  // ncc's module resolver reads its paths from the tsconfig named here (it
  // must be an absolute path): tsconfig.bundle.json maps a few large
  // libraries to stand-ins loaded on demand (src/bundle/loaded.cjs), for
  // dist/ only; tsc and the tests keep tsconfig.json.
  { stdio: 'inherit', env: { ...process.env, TS_NODE_PROJECT: path.resolve('tsconfig.bundle.json') } }
)
execFileSync(process.execPath, ['script/fix-dist.mjs', out], { stdio: 'inherit' })
if (out === 'dist') execFileSync(process.execPath, ['script/generate-docs.mjs'], { stdio: 'inherit' })
