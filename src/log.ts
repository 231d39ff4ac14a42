import * as core from '@actions/core'
import type { Log } from './storage/types.js'

/** The step log, through @actions/core. */
export const stepLog: Log = {
  info: (message) => core.info(message),
  warning: (message) => core.warning(message),
  debug: (message) => core.debug(message),
  group: (title, body) => core.group(title, body),
  mask: (secret) => core.setSecret(secret)
}
