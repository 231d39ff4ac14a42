import { constants } from 'node:fs'
import { access, lstat, mkdir, mkdtemp, readdir, readlink, realpath, rm, symlink } from 'node:fs/promises'
import path from 'node:path'
import { ArtifactNotFoundError, DefaultArtifactClient } from '@actions/artifact'
import { isUtf8, nameForPeople } from '../results/names.js'
import type { ArtifactPublishSettings } from '../spec/job-spec.js'
import type { Log, PublishContext, Published } from './types.js'

/** One regular file that goes into the zip, by its path there. */
interface ZipFile {
  /** Slash-separated path inside the zip. */
  entry: string
  /** A real path inside the results folder (or an extra file), no symlink in it. */
  source: string
  size: number
}

interface ZipPlan {
  files: ZipFile[]
  /** Slash-separated folder paths, listed so that empty folders are kept. */
  dirs: string[]
}

// The client refuses the whole upload when any path holds one of these, as
// the artifact service does (they cannot exist on NTFS).
const REFUSED_CHARACTERS = ['"', ':', '<', '>', '|', '*', '?', '\r', '\n']

const MAX_SKIP_WARNINGS = 20

/**
 * Uploads the results folder, with its own layout at the zip root, plus
 * `extraFiles` (e.g. manifest.json) beside it, as one workflow artifact.
 *
 * `@actions/artifact` takes a list of files under one root folder and
 * follows every symlink it is given. So the upload root is a scratch folder
 * that mirrors the results' folders and holds one symlink per regular file,
 * each made here and pointing at a file checked to lie inside the results
 * folder: nothing is copied, and a link the container wrote (say to
 * /etc/passwd) is never handed to the client.
 */
export async function publishArtifact(
  context: PublishContext,
  settings: ArtifactPublishSettings,
  extraFiles: string[]
): Promise<Published> {
  const name = settings.name
  if (!name) {
    throw new Error('Artifact upload: no artifact name was given; an empty artifact-name disables the artifact.')
  }
  try {
    return await upload(name, context, settings, extraFiles)
  } catch (error) {
    throw new Error(`Artifact upload '${name}': ${(error as Error).message}`, { cause: error })
  }
}

async function upload(
  name: string,
  context: PublishContext,
  settings: ArtifactPublishSettings,
  extraFiles: string[]
): Promise<Published> {
  const { log } = context
  for (const variable of ['ACTIONS_RUNTIME_TOKEN', 'ACTIONS_RESULTS_URL']) {
    if (!process.env[variable]) {
      throw new Error(
        `${variable} is not set. The runner provides it to JavaScript actions only; outside a workflow set artifact-name to '' to skip the artifact.`
      )
    }
  }
  const plan = await planResults(context.resultsDir, name, log)
  await addExtraFiles(plan, extraFiles)
  checkPaths(plan)

  const client = new DefaultArtifactClient()
  await makeRoomForName(client, name, settings.overwrite, log)

  await mkdir(context.workDir, { recursive: true })
  const root = path.resolve(await mkdtemp(path.join(context.workDir, 'artifact-')))
  try {
    const files = await stage(root, plan)
    const bytes = plan.files.reduce((sum, file) => sum + file.size, 0)
    log.info(`Uploading ${plan.files.length} files (${bytes} bytes before compression) as artifact '${name}'`)
    const options: { retentionDays?: number; compressionLevel?: number } = {}
    if (settings.retentionDays !== undefined) options.retentionDays = settings.retentionDays
    if (settings.compressionLevel !== undefined) options.compressionLevel = settings.compressionLevel
    const result = await client.uploadArtifact(name, files, root, options)
    if (result.id === undefined) throw new Error('the artifact service returned no artifact id.')
    const outputs: Record<string, string> = { 'artifact-id': String(result.id) }
    if (result.digest) outputs['artifact-digest'] = result.digest
    const url = artifactUrl(result.id)
    if (url) outputs['artifact-url'] = url
    else log.debug('GITHUB_REPOSITORY or GITHUB_RUN_ID is not set, so there is no artifact-url.')
    log.info(
      `Artifact '${name}' uploaded: id ${result.id}, ${result.size ?? 0} bytes, sha256 ${result.digest ?? 'unknown'}`
    )
    return { publisher: 'artifact', outputs }
  } finally {
    // Removes only the links and folders made above, never what they point at.
    await rm(root, { recursive: true, force: true })
  }
}

/**
 * Walks the results folder without following links. A link is kept (as the
 * bytes of its target) only when it resolves to a regular file inside the
 * results folder; anything else that is not a file or folder is skipped with
 * a warning, since reading a FIFO or device could hang or never end.
 */
async function planResults(resultsDir: string, name: string, log: Log): Promise<ZipPlan> {
  const base = await realpath(resultsDir)
  const plan: ZipPlan = { files: [], dirs: [] }
  const unreadable: string[] = []
  let skipped = 0
  // A container can make thousands of links; the log names the first few.
  const skip = (entry: string, why: string): void => {
    if (++skipped <= MAX_SKIP_WARNINGS) log.warning(`Artifact '${name}': ${entry} is left out: ${why}.`)
  }

  const notUtf8: string[] = []

  const walk = async (rel: string): Promise<void> => {
    // Read as bytes: as strings, a name that is not UTF-8 would come back mangled and name no file.
    const names: string[] = []
    for (const raw of await readdir(rel ? path.join(base, rel) : base, { encoding: 'buffer' })) {
      if (isUtf8(raw)) names.push(raw.toString('utf8'))
      else notUtf8.push(rel ? `${rel}/${nameForPeople(raw)}` : nameForPeople(raw))
    }
    names.sort()
    for (const child of names) {
      const entry = rel ? `${rel}/${child}` : child
      const source = path.join(base, entry)
      const stats = await lstat(source)
      if (stats.isDirectory()) {
        plan.dirs.push(entry)
        await walk(entry)
      } else if (stats.isFile()) {
        plan.files.push({ entry, source, size: stats.size })
      } else if (stats.isSymbolicLink()) {
        const target = await realpath(source).catch(() => undefined)
        const link = await readlink(source)
        if (!target) skip(entry, `a symbolic link to ${link}, which does not exist`)
        else if (!isInside(base, target)) skip(entry, `a symbolic link to ${link}, outside the results folder`)
        else {
          const targetStats = await lstat(target)
          if (targetStats.isFile()) plan.files.push({ entry, source: target, size: targetStats.size })
          else skip(entry, `a symbolic link to ${link}, which is not a regular file`)
        }
      } else {
        skip(entry, 'not a regular file, folder or link (a FIFO, socket or device)')
      }
    }
  }
  await walk('')
  if (notUtf8.length > 0) {
    throw new Error(
      `${describe(notUtf8)} in the results ${notUtf8.length === 1 ? 'is not a valid UTF-8 name' : 'are not valid UTF-8 names'}; artifact paths are UTF-8, so rename ${notUtf8.length === 1 ? 'it' : 'them'} in the container, or set artifact-name to '' to skip the artifact.`
    )
  }
  if (skipped > MAX_SKIP_WARNINGS) {
    log.warning(`Artifact '${name}': ${skipped - MAX_SKIP_WARNINGS} more links or special files are left out too.`)
  }

  for (const file of plan.files) {
    await access(file.source, constants.R_OK).catch(() => unreadable.push(file.entry))
  }
  if (unreadable.length > 0) {
    throw new Error(
      `the runner cannot read ${describe(unreadable)} in the results folder. The container wrote them unreadable to the runner's user; run it as that user (leave 'user' empty) or make them readable.`
    )
  }
  return plan
}

/** Extra files go to the zip root; they must not shadow an entry of the results. */
async function addExtraFiles(plan: ZipPlan, extraFiles: string[]): Promise<void> {
  const taken = new Set([...plan.files.map((f) => f.entry), ...plan.dirs].map((entry) => entry.split('/')[0]))
  for (const file of extraFiles) {
    const entry = path.basename(file)
    if (taken.has(entry)) {
      throw new Error(
        `${entry} would be written twice at the root of the artifact: the results folder holds an entry of that name too.`
      )
    }
    const source = await realpath(file)
    const stats = await lstat(source)
    if (!stats.isFile()) throw new Error(`${file} is not a regular file.`)
    plan.files.push({ entry, source, size: stats.size })
    taken.add(entry)
  }
}

function checkPaths(plan: ZipPlan): void {
  const refused = [...plan.dirs, ...plan.files.map((f) => f.entry)].filter((entry) =>
    REFUSED_CHARACTERS.some((c) => entry.includes(c))
  )
  if (refused.length > 0) {
    throw new Error(
      `${describe(refused.map((e) => JSON.stringify(e)))} in the results contain characters artifacts refuse (" : < > | * ? and line breaks). Rename them in the container, or set artifact-name to '' to skip the artifact.`
    )
  }
}

/** Artifact names are unique per workflow run; a clash is only resolved when asked to. */
async function makeRoomForName(
  client: DefaultArtifactClient,
  name: string,
  overwrite: boolean,
  log: Log
): Promise<void> {
  let existing: { id: number } | undefined
  try {
    existing = (await client.getArtifact(name)).artifact
  } catch (error) {
    if (!(error instanceof ArtifactNotFoundError)) throw error
  }
  if (!existing) return
  if (!overwrite) {
    throw new Error(
      `an artifact of this name already exists in this workflow run (id ${existing.id}). Set the input 'artifact-overwrite' to true to replace it, or choose another 'artifact-name'.`
    )
  }
  try {
    await client.deleteArtifact(name)
    log.info(`Deleted the earlier artifact '${name}' (id ${existing.id}) to replace it`)
  } catch (error) {
    // Gone in the meantime (another job replaced it): the name is free.
    if (!(error instanceof ArtifactNotFoundError)) throw error
  }
}

/** Builds the upload root and returns the paths the client is to zip. */
async function stage(root: string, plan: ZipPlan): Promise<string[]> {
  for (const dir of plan.dirs) await mkdir(path.join(root, dir))
  const files: string[] = []
  for (const file of plan.files) {
    const link = path.join(root, file.entry)
    await symlink(file.source, link)
    files.push(link)
  }
  // The client adds a listed folder as an entry named by its path; only a
  // trailing slash makes that entry a folder rather than an empty file.
  // Folders come first, each before what it holds, as zip tools expect.
  return [...plan.dirs.map((dir) => `${path.join(root, dir)}/`), ...files]
}

function artifactUrl(id: number): string | undefined {
  const { GITHUB_REPOSITORY: repository, GITHUB_RUN_ID: runId } = process.env
  if (!repository || !runId) return undefined
  const server = (process.env.GITHUB_SERVER_URL || 'https://github.com').replace(/\/+$/, '')
  return `${server}/${repository}/actions/runs/${runId}/artifacts/${id}`
}

function isInside(base: string, target: string): boolean {
  return target === base || target.startsWith(base.endsWith(path.sep) ? base : base + path.sep)
}

function describe(entries: string[]): string {
  const shown = entries.slice(0, 5).join(', ')
  return entries.length > 5 ? `${shown} and ${entries.length - 5} more` : shown
}
