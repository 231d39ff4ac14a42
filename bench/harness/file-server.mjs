// The bench's HTTP download server: serves the files under the folder given
// as its argument, streamed with Content-Length, Accept-Ranges and an ETag,
// and answers `Range: bytes=N-` as a download server does.
import fs from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'

const root = path.resolve(process.argv[2])
const server = http.createServer(async (request, response) => {
  const name = decodeURIComponent(new URL(request.url, 'http://localhost').pathname)
  const file = path.join(root, name)
  if (!file.startsWith(root + path.sep)) return response.writeHead(404).end()
  let stats
  try {
    stats = await fs.promises.stat(file)
  } catch {
    return response.writeHead(404).end()
  }
  const etag = `"${stats.size}-${stats.mtimeMs}"`
  const range = /^bytes=(\d+)-$/.exec(request.headers.range ?? '')
  const start = range ? Number(range[1]) : 0
  response.writeHead(range ? 206 : 200, {
    'content-length': stats.size - start,
    'accept-ranges': 'bytes',
    etag,
    ...(range ? { 'content-range': `bytes ${start}-${stats.size - 1}/${stats.size}` } : {})
  })
  await pipeline(fs.createReadStream(file, { start, highWaterMark: 1024 * 1024 }), response).catch(() => {})
})
server.listen(0, '127.0.0.1', () => {
  const url = `http://127.0.0.1:${server.address().port}`
  if (process.send) process.send(url)
  else console.log(url)
})
process.on('SIGTERM', () => {
  server.closeAllConnections()
  server.close(() => process.exit(0))
})
process.on('disconnect', () => process.exit(0))
