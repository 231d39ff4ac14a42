// `npm run build`: the ncc bundle in dist/, made from nothing each time so no
// stale file survives, then the ESM shim and the README's generated tables.
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'

fs.rmSync('dist', { recursive: true, force: true })
execFileSync(
  process.execPath,
  [
    'node_modules/@vercel/ncc/dist/ncc/cli.js',
    'build',
    'src/index.ts',
    '--out',
    'dist',
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
execFileSync(process.execPath, ['script/fix-dist.mjs'], { stdio: 'inherit' })
execFileSync(process.execPath, ['script/generate-docs.mjs'], { stdio: 'inherit' })
