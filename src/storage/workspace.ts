import fs from 'node:fs/promises'
import path from 'node:path'
import type { InputSource } from '../spec/job-spec.js'
import type { StageRequest, StagedSource } from './types.js'

type WorkspaceSource = Extract<InputSource, { scheme: 'workspace' }>

/**
 * A workspace path is bound directly, read-only, with no copy. The spec
 * already refused lexical escapes; here the real path is checked too, so a
 * symlink inside the workspace cannot expose the rest of the runner.
 */
export async function stageWorkspace(request: StageRequest<WorkspaceSource>, workspace: string): Promise<StagedSource> {
  const { source } = request
  let realPath: string
  try {
    realPath = await fs.realpath(source.hostPath)
  } catch {
    throw new Error(`Input '${source.relativePath}': no such file or folder in the workspace.`)
  }
  const realWorkspace = await fs.realpath(workspace)
  const relative = path.relative(realWorkspace, realPath)
  if (relative.startsWith('..') || path.isAbsolute(relative)) {
    throw new Error(
      `Input '${source.relativePath}': it resolves through a symlink to a path outside GITHUB_WORKSPACE; only workspace files may be mounted.`
    )
  }
  const stats = await fs.stat(realPath)
  return {
    hostPath: realPath,
    identity: { scheme: 'workspace', path: source.relativePath },
    bytes: stats.isDirectory() ? await folderSize(realPath) : stats.size
  }
}

async function folderSize(folder: string): Promise<number> {
  let total = 0
  for (const entry of await fs.readdir(folder, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += (await fs.lstat(path.join(entry.parentPath, entry.name))).size
  }
  return total
}
