/** Shared by the in-process benchmarks: a median wall time, and a fixed pseudo-random stream. */

/** Median of `repeats` runs of f, in milliseconds. */
export function medianMilliseconds (f: () => void, repeats: number): number {
  const times: number[] = []
  for (let r = 0; r < repeats; r++) {
    const start = process.hrtime.bigint()
    f()
    times.push(Number(process.hrtime.bigint() - start) / 1e6)
  }
  return times.sort((a, b) => a - b)[Math.floor(repeats / 2)]
}

/** Median of `repeats` runs of an asynchronous f (a request), in milliseconds. */
export async function medianMillisecondsAsync (f: () => Promise<unknown> | unknown, repeats: number): Promise<number> {
  const times: number[] = []
  for (let r = 0; r < repeats; r++) {
    const start = performance.now()
    await f()
    times.push(performance.now() - start)
  }
  return times.sort((a, b) => a - b)[Math.floor(repeats / 2)]
}

/** Uniform numbers in (0, 1) from a linear congruential generator: the same inputs every run. */
export function uniformStream (seed: number): () => number {
  let state = seed
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31
    return (state + 1) / (2 ** 31 + 1)
  }
}
