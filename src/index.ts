import { run } from './main.js'
import { cleanup } from './post.js'
import { isPost, markMainStarted } from './state.js'

if (isPost) {
  await cleanup()
} else {
  markMainStarted()
  await run()
}
