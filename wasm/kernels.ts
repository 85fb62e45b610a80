/**
 * The matrix products of src/math/gemm.ts in WebAssembly SIMD (AssemblyScript, f64x2), built by
 * `npm run build:wasm` into wasm/kernels.wasm. V8 does not vectorise JavaScript, so two lanes
 * and register tiles are where the speed is: each tile keeps its partial sums in registers for
 * the whole inner dimension, and every load feeds several multiply-adds.
 *
 * Operands are row-major Float64 blocks in this module's memory, given as byte addresses with
 * row strides in elements. Each kernel adds into C (C += …), the products of BLAS's DGEMM with
 * α = β = 1. The additions are ordered differently from the scalar kernels, so results may
 * differ from theirs in the last bits, as two BLAS libraries differ.
 *
 * AssemblyScript's `--runtime stub` and no allocation here: the JavaScript side owns the
 * memory (src/math/backend.ts lays out each computation's buffers).
 */

/**
 * C += A·Bᵀ, C[r][c] = Σ_k A[r][k]·B[c][k]: A is rows × depth, B is columns × depth, both read
 * along contiguous rows two lanes at a time. Tiles of 2 rows of A × 4 rows of B keep 8
 * independent sums, so the additions do not wait on one another; a single row of A (a batch of
 * one) gets a 1 × 4 tile, still 4 independent sums.
 */
export function multiplyAddTransposed (
  a: usize, aStride: i32, b: usize, bStride: i32, c: usize, cStride: i32,
  rows: i32, columns: i32, depth: i32
): void {
  const aRow = <usize>aStride << 3
  const bRow = <usize>bStride << 3
  const cRow = <usize>cStride << 3
  const vectorBytes = <usize>(depth & ~1) << 3
  const odd = (depth & 1) != 0
  let col = 0
  for (; col + 4 <= columns; col += 4) {
    const b0 = b + <usize>col * bRow
    const b1 = b0 + bRow
    const b2 = b1 + bRow
    const b3 = b2 + bRow
    let r = 0
    for (; r + 2 <= rows; r += 2) {
      const a0 = a + <usize>r * aRow
      const a1 = a0 + aRow
      let s00 = f64x2.splat(0)
      let s01 = f64x2.splat(0)
      let s02 = f64x2.splat(0)
      let s03 = f64x2.splat(0)
      let s10 = f64x2.splat(0)
      let s11 = f64x2.splat(0)
      let s12 = f64x2.splat(0)
      let s13 = f64x2.splat(0)
      for (let k: usize = 0; k < vectorBytes; k += 16) {
        const x0 = v128.load(a0 + k)
        const x1 = v128.load(a1 + k)
        let y = v128.load(b0 + k)
        s00 = f64x2.add(s00, f64x2.mul(x0, y))
        s10 = f64x2.add(s10, f64x2.mul(x1, y))
        y = v128.load(b1 + k)
        s01 = f64x2.add(s01, f64x2.mul(x0, y))
        s11 = f64x2.add(s11, f64x2.mul(x1, y))
        y = v128.load(b2 + k)
        s02 = f64x2.add(s02, f64x2.mul(x0, y))
        s12 = f64x2.add(s12, f64x2.mul(x1, y))
        y = v128.load(b3 + k)
        s03 = f64x2.add(s03, f64x2.mul(x0, y))
        s13 = f64x2.add(s13, f64x2.mul(x1, y))
      }
      let t00 = lanes(s00)
      let t01 = lanes(s01)
      let t02 = lanes(s02)
      let t03 = lanes(s03)
      let t10 = lanes(s10)
      let t11 = lanes(s11)
      let t12 = lanes(s12)
      let t13 = lanes(s13)
      if (odd) {
        const x0 = load<f64>(a0 + vectorBytes)
        const x1 = load<f64>(a1 + vectorBytes)
        const y0 = load<f64>(b0 + vectorBytes)
        const y1 = load<f64>(b1 + vectorBytes)
        const y2 = load<f64>(b2 + vectorBytes)
        const y3 = load<f64>(b3 + vectorBytes)
        t00 += x0 * y0
        t01 += x0 * y1
        t02 += x0 * y2
        t03 += x0 * y3
        t10 += x1 * y0
        t11 += x1 * y1
        t12 += x1 * y2
        t13 += x1 * y3
      }
      const c0 = c + <usize>r * cRow + (<usize>col << 3)
      const c1 = c0 + cRow
      addFour(c0, t00, t01, t02, t03)
      addFour(c1, t10, t11, t12, t13)
    }
    if (r < rows) {
      const a0 = a + <usize>r * aRow
      let s0 = f64x2.splat(0)
      let s1 = f64x2.splat(0)
      let s2 = f64x2.splat(0)
      let s3 = f64x2.splat(0)
      for (let k: usize = 0; k < vectorBytes; k += 16) {
        const x = v128.load(a0 + k)
        s0 = f64x2.add(s0, f64x2.mul(x, v128.load(b0 + k)))
        s1 = f64x2.add(s1, f64x2.mul(x, v128.load(b1 + k)))
        s2 = f64x2.add(s2, f64x2.mul(x, v128.load(b2 + k)))
        s3 = f64x2.add(s3, f64x2.mul(x, v128.load(b3 + k)))
      }
      let t0 = lanes(s0)
      let t1 = lanes(s1)
      let t2 = lanes(s2)
      let t3 = lanes(s3)
      if (odd) {
        const x = load<f64>(a0 + vectorBytes)
        t0 += x * load<f64>(b0 + vectorBytes)
        t1 += x * load<f64>(b1 + vectorBytes)
        t2 += x * load<f64>(b2 + vectorBytes)
        t3 += x * load<f64>(b3 + vectorBytes)
      }
      addFour(c + <usize>r * cRow + (<usize>col << 3), t0, t1, t2, t3)
    }
  }
  // The last columns (fewer than 4 rows of B): one dot product per entry, over two sums.
  for (; col < columns; col++) {
    const b0 = b + <usize>col * bRow
    for (let r = 0; r < rows; r++) {
      const a0 = a + <usize>r * aRow
      let s0 = f64x2.splat(0)
      let s1 = f64x2.splat(0)
      let k: usize = 0
      for (; k + 32 <= vectorBytes; k += 32) {
        s0 = f64x2.add(s0, f64x2.mul(v128.load(a0 + k), v128.load(b0 + k)))
        s1 = f64x2.add(s1, f64x2.mul(v128.load(a0 + k, 16), v128.load(b0 + k, 16)))
      }
      if (k < vectorBytes) s0 = f64x2.add(s0, f64x2.mul(v128.load(a0 + k), v128.load(b0 + k)))
      let t = lanes(f64x2.add(s0, s1))
      if (odd) t += load<f64>(a0 + vectorBytes) * load<f64>(b0 + vectorBytes)
      const at = c + <usize>r * cRow + (<usize>col << 3)
      store<f64>(at, load<f64>(at) + t)
    }
  }
}

/**
 * C += op(A)·B by rows of B, where op(A)[r][k] = A at byte a + (r·rowStep + k·depthStep)·8: with
 * (rowStep, depthStep) = (stride, 1) this is A·B, with (1, stride) Aᵀ·B, so neither form needs
 * a transposed copy. B is depth × columns. Four rows of C at a time keep a 4 × 4 tile in
 * registers over the whole depth (8 sums, each B load used 4 times, each A entry twice); the
 * rows left over (all of them for a batch of one) are updated as C[r] += A[r][k]·B[k], four k at
 * a time, which streams B once and reads and writes C's row a quarter as often as k by k.
 */
export function multiplyAddRows (
  a: usize, rowStep: i32, depthStep: i32, b: usize, bStride: i32, c: usize, cStride: i32,
  rows: i32, columns: i32, depth: i32
): void {
  const rowBytes = <usize>rowStep << 3
  const depthBytes = <usize>depthStep << 3
  const bRow = <usize>bStride << 3
  const cRow = <usize>cStride << 3
  let r = 0
  for (; r + 4 <= rows; r += 4) {
    const a0 = a + <usize>r * rowBytes
    const a1 = a0 + rowBytes
    const a2 = a1 + rowBytes
    const a3 = a2 + rowBytes
    const c0 = c + <usize>r * cRow
    const c1 = c0 + cRow
    const c2 = c1 + cRow
    const c3 = c2 + cRow
    let j = 0
    for (; j + 4 <= columns; j += 4) {
      const column = <usize>j << 3
      let s00 = f64x2.splat(0)
      let s01 = f64x2.splat(0)
      let s10 = f64x2.splat(0)
      let s11 = f64x2.splat(0)
      let s20 = f64x2.splat(0)
      let s21 = f64x2.splat(0)
      let s30 = f64x2.splat(0)
      let s31 = f64x2.splat(0)
      let ak: usize = 0
      let bk = b + column
      for (let k = 0; k < depth; k++) {
        const y0 = v128.load(bk)
        const y1 = v128.load(bk, 16)
        let x = v128.load64_splat(a0 + ak)
        s00 = f64x2.add(s00, f64x2.mul(x, y0))
        s01 = f64x2.add(s01, f64x2.mul(x, y1))
        x = v128.load64_splat(a1 + ak)
        s10 = f64x2.add(s10, f64x2.mul(x, y0))
        s11 = f64x2.add(s11, f64x2.mul(x, y1))
        x = v128.load64_splat(a2 + ak)
        s20 = f64x2.add(s20, f64x2.mul(x, y0))
        s21 = f64x2.add(s21, f64x2.mul(x, y1))
        x = v128.load64_splat(a3 + ak)
        s30 = f64x2.add(s30, f64x2.mul(x, y0))
        s31 = f64x2.add(s31, f64x2.mul(x, y1))
        ak += depthBytes
        bk += bRow
      }
      addPair(c0 + column, s00, s01)
      addPair(c1 + column, s10, s11)
      addPair(c2 + column, s20, s21)
      addPair(c3 + column, s30, s31)
    }
    // The last columns (fewer than 4): four sums each.
    for (; j < columns; j++) {
      const column = <usize>j << 3
      let t0: f64 = 0
      let t1: f64 = 0
      let t2: f64 = 0
      let t3: f64 = 0
      let ak: usize = 0
      let bk = b + column
      for (let k = 0; k < depth; k++) {
        const y = load<f64>(bk)
        t0 += load<f64>(a0 + ak) * y
        t1 += load<f64>(a1 + ak) * y
        t2 += load<f64>(a2 + ak) * y
        t3 += load<f64>(a3 + ak) * y
        ak += depthBytes
        bk += bRow
      }
      store<f64>(c0 + column, load<f64>(c0 + column) + t0)
      store<f64>(c1 + column, load<f64>(c1 + column) + t1)
      store<f64>(c2 + column, load<f64>(c2 + column) + t2)
      store<f64>(c3 + column, load<f64>(c3 + column) + t3)
    }
  }
  const vectorBytes = <usize>(columns & ~1) << 3
  const odd = (columns & 1) != 0
  for (; r < rows; r++) {
    const a0 = a + <usize>r * rowBytes
    const c0 = c + <usize>r * cRow
    let k = 0
    for (; k + 4 <= depth; k += 4) {
      const v0 = f64x2.splat(load<f64>(a0 + <usize>k * depthBytes))
      const v1 = f64x2.splat(load<f64>(a0 + <usize>(k + 1) * depthBytes))
      const v2 = f64x2.splat(load<f64>(a0 + <usize>(k + 2) * depthBytes))
      const v3 = f64x2.splat(load<f64>(a0 + <usize>(k + 3) * depthBytes))
      const b0 = b + <usize>k * bRow
      const b1 = b0 + bRow
      const b2 = b1 + bRow
      const b3 = b2 + bRow
      for (let j: usize = 0; j < vectorBytes; j += 16) {
        const sum = f64x2.add(
          f64x2.add(f64x2.mul(v0, v128.load(b0 + j)), f64x2.mul(v1, v128.load(b1 + j))),
          f64x2.add(f64x2.mul(v2, v128.load(b2 + j)), f64x2.mul(v3, v128.load(b3 + j))))
        v128.store(c0 + j, f64x2.add(v128.load(c0 + j), sum))
      }
      if (odd) {
        const x0 = load<f64>(a0 + <usize>k * depthBytes)
        const x1 = load<f64>(a0 + <usize>(k + 1) * depthBytes)
        const x2 = load<f64>(a0 + <usize>(k + 2) * depthBytes)
        const x3 = load<f64>(a0 + <usize>(k + 3) * depthBytes)
        store<f64>(c0 + vectorBytes, load<f64>(c0 + vectorBytes) + ((x0 * load<f64>(b0 + vectorBytes) + x1 * load<f64>(b1 + vectorBytes)) + (x2 * load<f64>(b2 + vectorBytes) + x3 * load<f64>(b3 + vectorBytes))))
      }
    }
    for (; k + 2 <= depth; k += 2) {
      const x0 = load<f64>(a0 + <usize>k * depthBytes)
      const x1 = load<f64>(a0 + <usize>(k + 1) * depthBytes)
      const b0 = b + <usize>k * bRow
      const b1 = b0 + bRow
      const v0 = f64x2.splat(x0)
      const v1 = f64x2.splat(x1)
      for (let j: usize = 0; j < vectorBytes; j += 16) {
        const sum = f64x2.add(f64x2.mul(v0, v128.load(b0 + j)), f64x2.mul(v1, v128.load(b1 + j)))
        v128.store(c0 + j, f64x2.add(v128.load(c0 + j), sum))
      }
      if (odd) store<f64>(c0 + vectorBytes, load<f64>(c0 + vectorBytes) + (x0 * load<f64>(b0 + vectorBytes) + x1 * load<f64>(b1 + vectorBytes)))
    }
    if (k < depth) {
      const x = load<f64>(a0 + <usize>k * depthBytes)
      const b0 = b + <usize>k * bRow
      const v = f64x2.splat(x)
      for (let j: usize = 0; j < vectorBytes; j += 16) {
        v128.store(c0 + j, f64x2.add(v128.load(c0 + j), f64x2.mul(v, v128.load(b0 + j))))
      }
      if (odd) store<f64>(c0 + vectorBytes, load<f64>(c0 + vectorBytes) + x * load<f64>(b0 + vectorBytes))
    }
  }
}

@inline function lanes (s: v128): f64 {
  return f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1)
}

@inline function addFour (at: usize, t0: f64, t1: f64, t2: f64, t3: f64): void {
  store<f64>(at, load<f64>(at) + t0)
  store<f64>(at, load<f64>(at, 8) + t1, 8)
  store<f64>(at, load<f64>(at, 16) + t2, 16)
  store<f64>(at, load<f64>(at, 24) + t3, 24)
}

@inline function addPair (at: usize, s0: v128, s1: v128): void {
  v128.store(at, f64x2.add(v128.load(at), s0))
  v128.store(at, f64x2.add(v128.load(at, 16), s1), 16)
}

/**
 * x·y over n doubles (Lanczos' α and norms, src/math/spectrum.ts): eight lanes of partial sums
 * in four registers, so the additions do not wait on one another.
 */
export function dot (x: usize, y: usize, n: i32): f64 {
  const vectorBytes = <usize>(n & ~7) << 3
  let s0 = f64x2.splat(0)
  let s1 = f64x2.splat(0)
  let s2 = f64x2.splat(0)
  let s3 = f64x2.splat(0)
  for (let i: usize = 0; i < vectorBytes; i += 64) {
    s0 = f64x2.add(s0, f64x2.mul(v128.load(x + i), v128.load(y + i)))
    s1 = f64x2.add(s1, f64x2.mul(v128.load(x + i, 16), v128.load(y + i, 16)))
    s2 = f64x2.add(s2, f64x2.mul(v128.load(x + i, 32), v128.load(y + i, 32)))
    s3 = f64x2.add(s3, f64x2.mul(v128.load(x + i, 48), v128.load(y + i, 48)))
  }
  let s = lanes(f64x2.add(s0, s1)) + lanes(f64x2.add(s2, s3))
  for (let i = vectorBytes; i < <usize>n << 3; i += 8) s += load<f64>(x + i) * load<f64>(y + i)
  return s
}

/** y += c·x over n doubles. */
export function axpy (c: f64, x: usize, y: usize, n: i32): void {
  const vectorBytes = <usize>(n & ~1) << 3
  const v = f64x2.splat(c)
  for (let i: usize = 0; i < vectorBytes; i += 16) v128.store(y + i, f64x2.add(v128.load(y + i), f64x2.mul(v, v128.load(x + i))))
  if ((n & 1) != 0) store<f64>(y + vectorBytes, load<f64>(y + vectorBytes) + c * load<f64>(x + vectorBytes))
}

/** x *= c over n doubles. */
export function scale (x: usize, c: f64, n: i32): void {
  const vectorBytes = <usize>(n & ~1) << 3
  const v = f64x2.splat(c)
  for (let i: usize = 0; i < vectorBytes; i += 16) v128.store(x + i, f64x2.mul(v128.load(x + i), v))
  if ((n & 1) != 0) store<f64>(x + vectorBytes, load<f64>(x + vectorBytes) * c)
}
