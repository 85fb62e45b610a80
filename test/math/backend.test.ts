/**
 * The matrix backends: which one a preference gives, the fallback when WebAssembly cannot
 * load, and the MLP computing the same on each (the products add in a different order, so
 * results agree to rounding, not bit for bit).
 */
import t from 'tap'
import { availableBackends, javascriptBackend, kernelsFile, matrixBackend, privateBackend, selectMatrixBackend, useMatrixBackend, wasmBackend, WORKSPACE_KEEP_BYTES } from '../../src/math/backend.js'
import type { NativeLoad } from '../../src/math/native.js'
import { ACTIVATIONS } from '../../src/math/activations.js'
import { view } from '../../src/math/gemm.js'
import { scalarVectors } from '../../src/math/vectors.js'
import { Mlp } from '../../src/math/mlp.js'
import { wave, waveMlp } from '../helpers/mlp.js'

t.test('the default backend is auto\'s; a preference chooses, and one that cannot load falls back', async (t) => {
  t.equal(matrixBackend().name, selectMatrixBackend('auto').backend.name, 'the default before any choice is auto\'s')
  const absent = (): NativeLoad => ({ backend: undefined, message: 'native backend unavailable: not built' })
  const fakeNative = { ...javascriptBackend, name: 'native' as const }
  const present = (): NativeLoad => ({ backend: fakeNative, message: 'native backend: OpenBLAS 0.3.21' })
  t.strictSame(availableBackends(absent).map((backend) => backend.name), ['wasm', 'js'])
  t.strictSame(availableBackends(present).map((backend) => backend.name), ['native', 'wasm', 'js'])
  t.ok(['native', 'wasm'].includes(availableBackends()[0].name), 'the real loader: native where it is built, else wasm')
  const wasm = wasmBackend
  t.match(selectMatrixBackend('auto', { native: present, wasm }), { backend: fakeNative, level: 'info', message: 'matrix kernels: native (MATRIX_BACKEND=auto); native backend: OpenBLAS 0.3.21' })
  t.match(selectMatrixBackend('auto', { native: absent, wasm }), { level: 'info', message: 'matrix kernels: wasm (MATRIX_BACKEND=auto); native backend unavailable: not built' })
  t.match(selectMatrixBackend('native', { native: absent, wasm }), { level: 'warn', message: 'matrix kernels: wasm (MATRIX_BACKEND=native); native backend unavailable: not built' }, 'asked for and absent: a warning')
  t.match(selectMatrixBackend('native', { native: present, wasm }), { backend: fakeNative })
  t.match(selectMatrixBackend('wasm', { native: present, wasm }), { level: 'info', message: 'matrix kernels: wasm (MATRIX_BACKEND=wasm)' }, 'wasm asked for: native is not tried')
  t.equal(selectMatrixBackend('wasm').backend.name, 'wasm')
  t.ok(['native', 'wasm'].includes(selectMatrixBackend('auto').backend.name), 'the real loaders')
  t.strictSame(selectMatrixBackend('js'), { backend: javascriptBackend, level: 'info', message: 'matrix kernels: js (MATRIX_BACKEND=js)' })
  const missing = new URL('file:///nowhere/kernels.wasm')
  t.throws(() => kernelsFile([missing]), /wasm\/kernels.wasm not found \(looked at \/nowhere\/kernels.wasm\); run npm run build:wasm/)
  const failed = selectMatrixBackend('auto', { native: absent, wasm: () => wasmBackend(kernelsFile([missing])) })
  t.equal(failed.backend, javascriptBackend)
  t.equal(failed.level, 'warn')
  t.match(failed.message, /^matrix kernels: js, because the WebAssembly kernels did not load \(wasm\/kernels.wasm not found .*\) \(MATRIX_BACKEND=auto\); native backend unavailable: not built$/)
  t.equal(selectMatrixBackend('wasm', { native: absent, wasm: () => wasmBackend(new Uint8Array([0, 97, 115, 109, 2, 0, 0, 0])) }).backend.name, 'js', 'a module that does not compile falls back too')
  useMatrixBackend(javascriptBackend)
  t.equal(matrixBackend(), javascriptBackend, 'the choice holds for the thread')
  const own = privateBackend()
  t.equal(own.name, 'wasm')
  t.not(own.workspace(8).buffer, privateBackend().workspace(8).buffer, 'each has its own memory')
  t.equal(privateBackend(() => { throw new Error('no WebAssembly') }), javascriptBackend, 'the scalar kernels where WebAssembly does not load')
})

t.test('a workspace over WORKSPACE_KEEP_BYTES is given back; forks have their own', async (t) => {
  const wasm = wasmBackend()
  const kept = wasm.workspace(1000)
  wasm.release()
  t.equal(wasm.workspace(1000).buffer, kept.buffer, 'a small workspace is kept')
  const large = wasm.workspace(WORKSPACE_KEEP_BYTES / 8 + 1)
  wasm.release()
  const fresh = wasm.workspace(8)
  t.not(fresh.buffer, large.buffer, 'a large one is given back')
  t.ok(fresh.buffer.byteLength <= WORKSPACE_KEEP_BYTES)
  wasm.multiplyAddTransposed(view(fresh, 1, 1), view(fresh, 1, 1, 1), view(fresh, 1, 1, 2), 1, 1)
  t.equal(wasm.fork().name, 'wasm')
  t.not(wasm.fork().workspace(8).buffer, fresh.buffer, 'a fork has its own memory')
  t.equal(javascriptBackend.fork(), javascriptBackend, 'the scalar kernels allocate per call anyway')
  javascriptBackend.release()
})

t.test('an MLP computes the same loss, gradient and Hessian-vector product on every backend', async (t) => {
  for (const activation of ACTIVATIONS) {
    for (const [sizes, batch, loss] of [[[5, 9, 7, 3], 6, 'cross-entropy'], [[3, 4, 2], 1, 'mse'], [[2, 8, 1], 9, 'mse']] as const) {
      const spec = waveMlp(sizes, batch, loss, activation)
      const [fast, reference] = [wasmBackend(), javascriptBackend].map((backend) => new Mlp(spec, backend))
      const w = wave(fast.parameterCount, 0.5).map((x) => x / 2)
      const v = wave(fast.parameterCount, 1.5)
      const [a, b] = [fast, reference].map((mlp) => mlp.evaluate(w, v))
      const close = (x: ArrayLike<number>, y: ArrayLike<number>) => Array.from(x).every((value, i) => Math.abs(value - y[i]) <= 1e-13 * Math.max(1, Math.abs(y[i])))
      const name = `${activation} ${sizes.join('→')} batch ${batch} ${loss}`
      t.ok(close([a.value], [b.value]), `loss, ${name}`)
      t.ok(close(a.gradient, b.gradient), `gradient, ${name}`)
      t.ok(close(a.hv!, b.hv!), `Hv, ${name}`)
      // Into given arrays: the same numbers, in the arrays given.
      const into = { gradient: new Float64Array(w.length), hv: new Float64Array(w.length) }
      const c = fast.evaluate(w, v, into)
      t.equal(c.gradient, into.gradient)
      t.equal(c.hv, into.hv)
      t.strictSame(Array.from(c.hv!), Array.from(a.hv!), `into, ${name}`)
      t.equal(fast.evaluate(w, undefined, into).hv, undefined, 'no product without v')
      const alone = fast.evaluate(w, v, { withoutGradient: true })
      t.equal(alone.gradient.length, 0, 'the product alone: no gradient')
      t.strictSame(Array.from(alone.hv!), Array.from(a.hv!), `the product alone is the same, ${name}`)
      t.equal(fast.evaluate(w, undefined, { withoutGradient: true }).gradient.length, w.length, 'without v the gradient is what is computed')
      // At a fixed point: the R-passes alone, on every backend, the same product.
      for (const mlp of [fast, reference]) {
        const at = mlp.hessianAt(w)
        const out = new Float64Array(w.length)
        t.equal(at(v, out), out, 'into the array given')
        t.ok(close(out, b.hv!), `hessianAt, ${name}`)
        t.ok(close(at(v.map((x) => -x)), b.hv!.map((x) => -x)), `a second product at the same point, ${name}`)
      }
      // The scalar kernels read the direction and write the product where they are; the
      // product goes through the workspace when the two overlap, however they are laid out.
      const direct = reference.hessianAt(w)
      const n = w.length
      const both = new Float64Array(2 * n)
      for (const [direction, out] of [[both.subarray(0, n), both.subarray(n)], [both.subarray(n), both.subarray(0, n)]]) {
        direction.set(v)
        t.equal(direct(direction, out), out)
        t.ok(close(out, b.hv!), `hessianAt into a neighbouring view, ${name}`)
      }
      const inPlace = Float64Array.from(v)
      t.equal(direct(inPlace, inPlace), inPlace)
      t.ok(close(inPlace, b.hv!), `hessianAt in place, ${name}`)
      t.ok(close(direct(Float64Array.from(v), new Float64Array(n + 1)).subarray(0, n), b.hv!), `hessianAt into a longer array, ${name}`)
    }
  }
})

t.test('vector kernels: SIMD on the workspace, scalar loops elsewhere, the same numbers', async (t) => {
  const wasm = wasmBackend()
  for (const n of [0, 1, 7, 8, 9, 1001]) {
    const space = wasm.workspace(2 * n + 1)
    // Offsets of one double: SIMD loads need no alignment.
    const x = space.subarray(1, n + 1)
    const y = space.subarray(n + 1, 2 * n + 1)
    x.set(wave(n, 0.3))
    y.set(wave(n, 2.1))
    const [xs, ys] = [Float64Array.from(x), Float64Array.from(y)]
    const expected = scalarVectors.dot(xs, ys)
    t.ok(Math.abs(wasm.vectors.dot(x, y) - expected) <= 1e-13 * Math.max(1, n), `dot, n = ${n}`)
    t.equal(wasm.vectors.dot(xs, ys), expected, `dot outside the workspace is the scalar one, n = ${n}`)
    wasm.vectors.axpy(-0.75, x, y)
    scalarVectors.axpy(-0.75, xs, ys)
    t.strictSame(Array.from(y), Array.from(ys), `axpy, n = ${n}`)
    wasm.vectors.scale(x, 1 / 3)
    scalarVectors.scale(xs, 1 / 3)
    t.strictSame(Array.from(x), Array.from(xs), `scale, n = ${n}`)
    const outside = Float64Array.from(xs)
    wasm.vectors.axpy(2, xs, outside)
    wasm.vectors.scale(outside, 0.5)
    t.strictSame(Array.from(outside), Array.from(xs, (value) => (value + 2 * value) * 0.5), `axpy and scale outside the workspace, n = ${n}`)
  }
  t.ok(wasm.addressable(wasm.workspace(4)), 'the workspace is addressable')
  t.notOk(wasm.addressable(new Float64Array(4)), 'another array is not')
  t.ok(javascriptBackend.addressable(new Float64Array(4)), 'the scalar kernels take any array')
  t.equal(javascriptBackend.vectors, scalarVectors)
})
