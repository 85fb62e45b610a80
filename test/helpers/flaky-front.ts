/** A front for the service that answers its first request 503 with Retry-After, then forwards the rest (the examples' retry tests). */
import { createServer, type Server } from 'node:http'

export interface FlakyFront { url: string, requests: () => number, close: () => Promise<void> }

export async function flakyFront (service: string, retryAfterSeconds = 1): Promise<FlakyFront> {
  let requests = 0
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      if (requests++ === 0) {
        response.writeHead(503, { 'retry-after': String(retryAfterSeconds), 'content-type': 'application/json' })
          .end(`{"statusCode":503,"code":"DLCHECK_OVERLOADED","error":"Service Unavailable","message":"busy; retry in ${retryAfterSeconds} s"}`)
        return
      }
      const headers: Record<string, string> = { 'content-type': 'application/json' }
      if (request.headers.authorization !== undefined) headers.authorization = request.headers.authorization
      fetch(service + request.url!, { method: request.method, headers, body: request.method === 'GET' ? undefined : Buffer.concat(chunks) })
        .then(async (answer) => response.writeHead(answer.status, { 'content-type': 'application/json' }).end(await answer.text()), (error: Error) => response.destroy(error))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    requests: () => requests,
    close: async () => await new Promise<void>((resolve) => server.close(() => resolve()))
  }
}
