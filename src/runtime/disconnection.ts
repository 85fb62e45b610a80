/**
 * The signal that stops a computation whose client has gone: both doors (REST and GraphQL)
 * hand it to the pool with each task.
 */
import type { ServerResponse } from 'node:http'

/** Aborts when the client goes away before its answer is written, so a pooled computation stops. */
export function disconnection (response: ServerResponse): AbortSignal {
  const controller = new AbortController()
  // Made when a task is handed to the pool: the client may be gone already.
  if (response.destroyed && !response.writableEnded) controller.abort()
  else response.once('close', () => { if (!response.writableEnded) controller.abort() })
  return controller.signal
}
