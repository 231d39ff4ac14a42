// ncc's ESM output still has CommonJS modules (ssh2 under dockerode, protobuf
// loaders) that read __dirname and __filename, which ES modules do not define.
// Defining both from import.meta.url at the top of the bundle, and of every
// chunk loaded on demand that reads them, fixes the crash at load
// ("__dirname is not defined").
import fs from 'node:fs'
import path from 'node:path'

const marker = '// compute-over-data: CommonJS globals for bundled modules'
const shim = `${marker}
import { fileURLToPath as __codFileURLToPath } from 'node:url';
import { dirname as __codDirname } from 'node:path';
const __filename = __codFileURLToPath(import.meta.url);
const __dirname = __codDirname(__filename);
`
const dist = process.argv[2] ?? 'dist'
for (const name of fs.readdirSync(dist)) {
  if (!name.endsWith('.js')) continue
  const bundle = path.join(dist, name)
  const code = fs.readFileSync(bundle, 'utf8')
  if (code.startsWith(marker)) continue
  if (name === 'index.js' || /\b__(dirname|filename)\b/.test(code)) fs.writeFileSync(bundle, shim + code)
}
