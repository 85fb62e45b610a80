/** A per-dimension pair `[height, width]`: the form every response uses. */
export type Pair = [number, number]

/** `n` means `[n, n]`, as PyTorch's `_pair` (torch/nn/modules/utils.py). */
export function toPair (value: number | readonly number[]): Pair {
  return typeof value === 'number' ? [value, value] : [value[0], value[1]]
}

/** Applies `f` to the height and the width separately. */
export function perDimension<T> (f: (dimension: 0 | 1) => T): [T, T] {
  return [f(0), f(1)]
}
