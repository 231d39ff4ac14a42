/** The flags of a container run that say it did not finish on its own. */
export interface Ending {
  timedOut?: boolean
  oomKilled?: boolean
  killedExternally?: boolean
}

/** How the container was cut short, in a few words for the summary and the PR comment; undefined when it finished. */
export function cutShortBy(ending: Ending): string | undefined {
  if (ending.timedOut) return 'timed out'
  if (ending.oomKilled) return 'ran out of memory'
  if (ending.killedExternally) return 'killed from outside the action'
  return undefined
}
