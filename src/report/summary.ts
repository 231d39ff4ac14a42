import fs from 'node:fs/promises'
import path from 'node:path'
import * as core from '@actions/core'
import type { JobOutcome } from '../job.js'
import { formatBytes } from '../format.js'
import { cutShortBy } from './ending.js'
import { nameForPeople } from '../results/names.js'

const MAX_LISTED_FILES = 50

/** The step summary: what ran, how it ended, and what it produced. */
export async function writeSummary(outcome: JobOutcome, published: Record<string, string>): Promise<void> {
  const { container, image, spec } = outcome
  const cutShort = cutShortBy(container)
  const status = cutShort ? `${cutShort} (exit code ${container.exitCode})` : String(container.exitCode)
  const rows: string[][] = [
    ['Image', code(spec.image.reference)],
    ['Digest', code(image.digest)],
    ['Exit code', status],
    ['Duration', `${(container.durationMs / 1000).toFixed(1)} s`]
  ]
  for (const [name, stream] of [
    ['stdout', container.stdout],
    ['stderr', container.stderr]
  ] as const) {
    if (stream.truncated) {
      rows.push([name, `truncated: ${formatBytes(stream.bytes)} written, first ${formatBytes(stream.keptBytes)} kept`])
    }
  }
  if (published.cid) rows.push(['CID', code(published.cid)])
  if (published['artifact-url']) rows.push(['Artifact', published['artifact-url']])
  const files = await listFiles(outcome.results.dir)
  const fileRows = files.slice(0, MAX_LISTED_FILES).map(([name, size]) => [code(name), size])
  if (files.length > MAX_LISTED_FILES) fileRows.push([`… and ${files.length - MAX_LISTED_FILES} more`, ''])
  await core.summary
    .addHeading('compute-over-data', 3)
    .addTable([
      [
        { data: 'Run', header: true },
        { data: '', header: true }
      ],
      ...rows
    ])
    .addHeading('Results', 4)
    .addTable([
      [
        { data: 'File', header: true },
        { data: 'Size', header: true }
      ],
      ...fileRows
    ])
    .write()
}

function code(text: string): string {
  return `<code>${escapeHtml(text)}</code>`
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`)
}

/**
 * Files under the results folder, relative, sorted, with their sizes; links
 * are not followed. Names are read as bytes, so a name that is not UTF-8 is
 * listed (escaped) rather than mangled into one that names no file.
 */
async function listFiles(dir: string): Promise<Array<[string, string]>> {
  const files: Array<[string, string]> = []
  const walk = async (folder: Buffer, prefix: string): Promise<void> => {
    for (const raw of await fs.readdir(folder, { encoding: 'buffer' })) {
      const full = Buffer.concat([folder, Buffer.from(path.sep), raw])
      const name = `${prefix}${nameForPeople(raw)}`
      const stats = await fs.lstat(full)
      if (stats.isDirectory()) await walk(full, `${name}/`)
      else files.push([escapeHtml(name), stats.isSymbolicLink() ? 'symlink' : formatBytes(stats.size)])
    }
  }
  await walk(Buffer.from(dir), '')
  return files.sort(([a], [b]) => a.localeCompare(b))
}
