import fs from 'node:fs/promises'
import * as core from '@actions/core'
import { connectDocker } from './executor/engine.js'
import { removeRunContainers } from './executor/container.js'
import { loadRun } from './state.js'

/**
 * Removes what a cancelled or crashed run may have left: its container (found
 * by label) and its scratch folder. It only warns: cleanup must never turn a
 * green job red.
 */
export async function cleanup(): Promise<void> {
  const saved = loadRun()
  if (!saved) return
  try {
    const docker = await connectDocker()
    const removed = await removeRunContainers(docker, saved.runId)
    if (removed > 0) core.info(`Removed ${removed} container(s) left by this run.`)
  } catch (error) {
    core.warning(`Cleanup could not remove the run's containers: ${(error as Error).message}`)
  }
  try {
    await fs.rm(saved.workDir, { recursive: true, force: true })
  } catch (error) {
    core.warning(`Cleanup could not delete ${saved.workDir}: ${(error as Error).message}`)
  }
}
