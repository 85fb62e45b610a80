/** The compiled service (or bench/bare-server.ts) in its own process, for the benches that go through HTTP. */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'

/** Starts the compiled `entry` in its own process, under plain node, and resolves to its URL; `env` adds to its environment. */
export async function startServer (entry: string, logLevel: string, env: Record<string, string> = {}): Promise<{ url: string, process: ChildProcess }> {
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run npm run build first (npm run bench and bench:http do)`)
  const child = spawn(process.execPath, [entry], {
    // Grading open on purpose (production refuses to start without a token otherwise): the bench computes, it does not grade.
    env: { ...process.env, NODE_ENV: process.env.NODE_ENV ?? 'production', ...(process.env.GRADER_TOKEN === undefined && { GRADING: 'open' }), PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: logLevel, ...env },
    stdio: ['ignore', 'pipe', 'inherit']
  })
  const url = await new Promise<string>((resolve, reject) => {
    let output = ''
    child.once('exit', (code) => reject(new Error(`${entry} exited with ${code}: ${output}`)))
    const onData = (chunk: Buffer): void => {
      output += chunk.toString()
      const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)
      if (match === null) return
      // From here on the request logs are read and discarded: every server's log lines go
      // through the same pipe to this process, so all pay the same for them.
      child.stdout!.off('data', onData)
      child.stdout!.resume()
      child.removeAllListeners('exit')
      resolve(match[1])
    }
    child.stdout!.on('data', onData)
  })
  return { url, process: child }
}
