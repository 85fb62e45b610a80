/**
 * The real entry point in a child process: env config, listen, SIGTERM → exit 0.
 * The child reuses this process's loader flags (tap's TypeScript import), so it runs
 * src/server.ts as `npm start` runs dist/src/server.js.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import t from 'tap'

function startServer (env: Record<string, string>) {
  const child = spawn(process.execPath, [...process.execArgv, 'src/server.ts'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
  const listening = (): Promise<string> => new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "Server listening" line within 20 s: ${output}`)), 20_000)
    child.once('exit', (code) => reject(new Error(`exited with ${code} before listening: ${output}`)))
    child.stdout.on('data', () => {
      const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)
      if (match !== null) {
        clearTimeout(timer)
        resolve(match[1])
      }
    })
  })
  return { child, listening, output: () => output }
}

t.test('listens on HOST:PORT, answers, and exits 0 on SIGTERM', async (t) => {
  const server = startServer({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' })
  const url = await server.listening()
  const health = await fetch(`${url}/health`)
  t.equal(health.status, 200)
  const softmax = await fetch(`${url}/softmax-stable`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"x":[0,-40]}' })
  t.equal((await softmax.json() as { logSumExp: number }).logSumExp, 4.248354255291589e-18)
  server.child.kill('SIGTERM')
  const [code] = await once(server.child, 'exit')
  t.equal(code, 0, 'graceful exit')
  t.match(server.output(), /shutting down/)
})

t.test('a bad setting stops the start with the variable named', async (t) => {
  const server = startServer({ PORT: 'eighty' })
  const [code] = await once(server.child, 'exit')
  t.equal(code, 1)
  t.match(server.output(), /invalid configuration: PORT="eighty"/)
})
