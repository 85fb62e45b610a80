/**
 * A fully connected network's loss, gradient and exact Hessian-vector product (question 3.6)
 * by Pearlmutter's R-operator ("Fast exact multiplication by the Hessian", Neural
 * Computation 6(1), 1994) carried through back-propagation over whole layers.
 *
 * Model (the service's MLP, docs/api.md `/hvp`): z_l = a_{l−1}W_lᵀ + b_l, a_l = φ(z_l) for l < L, logits z_L; loss the batch
 * mean of cross-entropy (softmax over z_L, class-index targets) or of the squared error over
 * every element (PyTorch's reduction="mean"). Parameters are PyTorch's
 * nn.Sequential(nn.Linear, act, …).parameters() flattened: per layer W_l [out][in]
 * row-major, then b_l.
 *
 * With V the direction v laid out like the parameters, R{·} = ∂/∂r (·)(w + rv) at r = 0:
 *
 *   forward    R{z_l} = R{a_{l−1}}W_lᵀ + a_{l−1}V_lᵀ + Vb_l,   R{a_l} = φ′(z_l) ⊙ R{z_l}
 *   loss       δ_L = ∂ℓ/∂z_L,  R{δ_L} = (p ⊙ (R{z_L} − ⟨p, R{z_L}⟩))/B  (cross-entropy),  2R{z_L}/(B·n_L)  (mse)
 *   backward   ∇W_l = δ_lᵀa_{l−1},  R{∇W_l} = R{δ_l}ᵀa_{l−1} + δ_lᵀR{a_{l−1}},  ∇b_l = Σ_batch δ_l
 *              g_{l−1} = δ_lW_l,  R{g_{l−1}} = R{δ_l}W_l + δ_lV_l
 *              δ_{l−1} = g_{l−1} ⊙ φ′(z_{l−1}),  R{δ_{l−1}} = R{g_{l−1}} ⊙ φ′ + g_{l−1} ⊙ φ″ ⊙ R{z_{l−1}}
 *
 * Every step is a matrix product over Float64Arrays with a contiguous inner loop, so one
 * Hessian-vector product costs about three gradients (Pearlmutter's constant).
 */
import { activate, type Activation } from './activations.js'
import type { EvaluationTargets } from './hvp.js'
import { ImpossibleInputError } from './errors.js'
import { matrixBackend, type MatrixBackend } from './backend.js'
import { view, type StridedView } from './gemm.js'
import { softmaxStable } from './softmax.js'

export type MlpLoss = 'cross-entropy' | 'mse'

export interface MlpSpec {
  sizes: readonly number[]
  activation: Activation
  loss: MlpLoss
  inputs: ReadonlyArray<readonly number[]>
  targets: ReadonlyArray<number> | ReadonlyArray<readonly number[]>
}

export interface Derivatives {
  value: number
  gradient: Float64Array
  /** ∇²f(w)·v, when v was given */
  hv?: Float64Array
}

/** Each row of a B × n matrix set to the bias b (at offset in w). */
function broadcastBias (out: Float64Array, w: Float64Array, biasOffset: number, batch: number, n: number): void {
  const bias = w.subarray(biasOffset, biasOffset + n)
  for (let b = 0; b < batch; b++) out.set(bias, b * n)
}

/** Σ_b δ[b][o] (δ at `from` in delta), added into out at offset. */
function addColumnSums (delta: Float64Array, from: number, batch: number, n: number, out: Float64Array, offset: number): void {
  for (let b = 0; b < batch; b++) for (let o = 0; o < n; o++) out[offset + o] += delta[from + b * n + o]
}

/** Consecutive blocks of a workspace, one per call, in the order its length was counted. */
function carve (space: Float64Array): (length: number) => Float64Array {
  let used = 0
  return (length) => {
    const block = space.subarray(used, used + length)
    used += length
    return block
  }
}

/** A row-major block read as itself (rows × columns) in multiplyAddRows. */
/** Whether two arrays share no byte. */
function disjoint (x: Float64Array, y: Float64Array): boolean {
  return x.buffer !== y.buffer || x.byteOffset + x.byteLength <= y.byteOffset || y.byteOffset + y.byteLength <= x.byteOffset
}

const plain = (data: Float64Array, columns: number, offset = 0): StridedView => ({ data, offset, rowStep: columns, depthStep: 1 })
/** A row-major block (depth × columns) read as its transpose in multiplyAddRows. */
const transposed = (data: Float64Array, columns: number, offset = 0): StridedView => ({ data, offset, rowStep: 1, depthStep: columns })

export class Mlp {
  readonly parameterCount: number
  readonly batch: number
  private readonly layers: Array<{ nIn: number, nOut: number, weightOffset: number, biasOffset: number }> = []
  private readonly inputs: Float64Array
  private readonly classTargets?: Int32Array
  private readonly valueTargets?: Float64Array

  /**
   * @throws {ImpossibleInputError} when inputs or targets do not fit the sizes, naming the
   *   row and the numbers
   */
  constructor (readonly spec: MlpSpec, private readonly backend: MatrixBackend = matrixBackend()) {
    const { sizes, inputs, targets, loss } = spec
    if (sizes.length < 2) throw new ImpossibleInputError(`model.sizes needs at least two entries, the input and the output sizes; got [${sizes.join(', ')}]`)
    let offset = 0
    for (let l = 1; l < sizes.length; l++) {
      const [nIn, nOut] = [sizes[l - 1], sizes[l]]
      this.layers.push({ nIn, nOut, weightOffset: offset, biasOffset: offset + nIn * nOut })
      offset += nIn * nOut + nOut
    }
    this.parameterCount = offset
    this.batch = inputs.length
    const [nIn, nOut] = [sizes[0], sizes[sizes.length - 1]]
    const badInput = inputs.findIndex((row) => row.length !== nIn)
    if (badInput >= 0) throw new ImpossibleInputError(`model.inputs[${badInput}] has ${inputs[badInput].length} entries; sizes[0] is ${nIn}`)
    this.inputs = Float64Array.from(inputs.flat())
    if (targets.length !== this.batch) throw new ImpossibleInputError(`model.targets has ${targets.length} entries; there are ${this.batch} inputs`)
    if (loss === 'cross-entropy') {
      const bad = targets.findIndex((t) => typeof t !== 'number' || !Number.isInteger(t) || t < 0 || t >= nOut)
      if (bad >= 0) throw new ImpossibleInputError(`model.targets[${bad}] must be a class index, an integer in [0, ${nOut}) for cross-entropy over ${nOut} outputs; got ${JSON.stringify(targets[bad])}`)
      this.classTargets = Int32Array.from(targets as number[])
    } else {
      const bad = targets.findIndex((t) => !Array.isArray(t) || t.length !== nOut)
      if (bad >= 0) throw new ImpossibleInputError(`model.targets[${bad}] must be a row of ${nOut} values (sizes[L]) for mse; got ${JSON.stringify(targets[bad])}`)
      this.valueTargets = Float64Array.from((targets as number[][]).flat())
    }
  }

  /**
   * The loss, its gradient, and with `v` the exact Hessian-vector product.
   * @param parameters - w, PyTorch's layout
   * @param direction - v, laid out like w
   * @param into - arrays of w's length to write the gradient and the product into, instead of
   *   new ones: a caller that evaluates many times (Lanczos, conjugate gradients) saves the
   *   page faults of touching megabytes of fresh memory on every call; with `withoutGradient`
   *   and v, ∇W is not formed (one product in nine) and the gradient comes back empty
   */
  evaluate (parameters: ArrayLike<number>, direction?: ArrayLike<number>, into: EvaluationTargets = {}): Derivatives {
    const { batch: B, layers, backend } = this
    const L = layers.length
    const n = this.parameterCount
    // With v, each layer's activations are stacked [a; R{a}] and its deltas [R{δ}; δ] (2B rows
    // each), so that R{∇W} = R{δ}ᵀa + δᵀR{a} is one product of depth 2B, and R{g}'s R{δ}·W and
    // g = δ·W one product of 2B rows: each reads or writes a weight-sized block once, not twice.
    const halves = direction === undefined ? 1 : 2
    const take = carve(backend.workspace(this.workspaceLength(halves)))
    const w = take(n)
    w.set(parameters)
    const v = direction === undefined ? undefined : take(n)
    v?.set(direction!)
    const withGradient = v === undefined || into.withoutGradient !== true
    const gradient = take(n)
    if (withGradient) gradient.fill(0)
    const hv = v === undefined ? undefined : take(n).fill(0)
    // Forward: pre-activations z_l, activations a_l, φ′ and φ″ at z_l; and their R-derivatives.
    // stacks[l] is a_l, then R{a_l} B × n_l further on (R{a_0} = 0 is not stored).
    const stacks: Float64Array[] = [take(B * layers[0].nIn)]
    stacks[0].set(this.inputs)
    const pre: Float64Array[] = []
    const rPre: Float64Array[] = []
    const firsts: Float64Array[] = []
    const seconds: Float64Array[] = []
    for (let l = 0; l < L; l++) {
      const { nIn, nOut, weightOffset, biasOffset } = layers[l]
      const weights = view(w, nOut, nIn, weightOffset)
      const a = view(stacks[l], B, nIn)
      // [z; R{z}] = [b; Vb] + [a; R{a}]·Wᵀ, then R{z} += a·Vᵀ (R{a_0} = 0: the first layer's
      // product has B rows).
      const zs = take(halves * B * nOut)
      const z = zs.subarray(0, B * nOut)
      broadcastBias(z, w, biasOffset, B, nOut)
      pre.push(z)
      if (v === undefined) {
        backend.multiplyAddTransposed(a, weights, view(z, B, nOut), nOut, nIn)
      } else {
        const rz = zs.subarray(B * nOut)
        broadcastBias(rz, v, biasOffset, B, nOut)
        const rows = l > 0 ? 2 * B : B
        backend.multiplyAddTransposed(view(stacks[l], rows, nIn), weights, view(zs, rows, nOut), nOut, nIn)
        backend.multiplyAddTransposed(a, view(v, nOut, nIn, weightOffset), view(rz, B, nOut), nOut, nIn)
        rPre.push(rz)
      }
      if (l === L - 1) break
      const stack = take(halves * B * nOut)
      const first = take(B * nOut)
      const second = take(B * nOut)
      activate(this.spec.activation, z, stack.subarray(0, B * nOut), first, second)
      if (v !== undefined) {
        const rz = rPre[l]
        for (let i = 0; i < B * nOut; i++) stack[B * nOut + i] = rz[i] * first[i]
      }
      stacks.push(stack)
      firsts.push(first)
      seconds.push(second)
    }
    // Loss and δ_L = ∂ℓ/∂z_L (and R{δ_L}), stacked [R{δ}; δ].
    const logits = pre[L - 1]
    const nOut = layers[L - 1].nOut
    let deltas = take(halves * B * nOut)
    /** where δ starts in deltas (R{δ} is at 0) */
    let at = (halves - 1) * B * nOut
    let value = 0
    if (this.classTargets !== undefined) {
      for (let b = 0; b < B; b++) {
        const row = logits.subarray(b * nOut, (b + 1) * nOut)
        const { softmax: p, logSoftmax } = softmaxStable(row)
        const target = this.classTargets[b]
        value -= logSoftmax[target] / B
        let pDotR = 0
        if (v !== undefined) for (let o = 0; o < nOut; o++) pDotR += p[o] * rPre[L - 1][b * nOut + o]
        for (let o = 0; o < nOut; o++) {
          deltas[at + b * nOut + o] = (p[o] - (o === target ? 1 : 0)) / B
          if (v !== undefined) deltas[b * nOut + o] = p[o] * (rPre[L - 1][b * nOut + o] - pDotR) / B
        }
      }
    } else {
      const targets = this.valueTargets!
      const count = B * nOut
      for (let i = 0; i < count; i++) {
        const residual = logits[i] - targets[i]
        value += residual * residual / count
        deltas[at + i] = 2 * residual / count
        if (v !== undefined) deltas[i] = 2 * rPre[L - 1][i] / count
      }
    }
    // Backward, each product in the form it needs (multiplyAddRows): nothing is transposed.
    for (let l = L - 1; l >= 0; l--) {
      const { nIn, nOut, weightOffset, biasOffset } = layers[l]
      const a = view(stacks[l], B, nIn)
      // ∇W = δᵀa; R{∇W} = [R{δ}; δ]ᵀ[a; R{a}], or R{δ}ᵀa for the first layer (R{a_0} = 0).
      if (withGradient) {
        backend.multiplyAddRows(transposed(deltas, nOut, at), a, view(gradient, nOut, nIn, weightOffset), nIn, B)
        addColumnSums(deltas, at, B, nOut, gradient, biasOffset)
      }
      if (hv !== undefined) {
        const depth = l > 0 ? 2 * B : B
        backend.multiplyAddRows(transposed(deltas, nOut), view(stacks[l], depth, nIn), view(hv, nOut, nIn, weightOffset), nIn, depth)
        addColumnSums(deltas, 0, B, nOut, hv, biasOffset)
      }
      if (l === 0) break
      // [R{g}; g] = [R{δ}; δ]·W, then R{g} += δ·V.
      const gs = take(halves * B * nIn).fill(0)
      backend.multiplyAddRows(plain(deltas, nOut), view(w, nOut, nIn, weightOffset), view(gs, halves * B, nIn), nIn, nOut)
      if (v !== undefined) backend.multiplyAddRows(plain(deltas, nOut, at), view(v, nOut, nIn, weightOffset), view(gs, B, nIn), nIn, nOut)
      // δ_{l−1} = g ⊙ φ′; R{δ_{l−1}} = R{g} ⊙ φ′ + g ⊙ φ″ ⊙ R{z}, in place.
      const first = firsts[l - 1]
      const gAt = (halves - 1) * B * nIn
      if (v !== undefined) {
        const second = seconds[l - 1]
        const rz = rPre[l - 1]
        for (let i = 0; i < B * nIn; i++) gs[i] = gs[i] * first[i] + gs[gAt + i] * second[i] * rz[i]
      }
      for (let i = 0; i < B * nIn; i++) gs[gAt + i] *= first[i]
      deltas = gs
      at = gAt
    }
    const gradientOut = withGradient ? into.gradient ?? new Float64Array(n) : new Float64Array(0)
    if (withGradient) gradientOut.set(gradient)
    const hvOut = hv === undefined ? undefined : into.hv ?? new Float64Array(n)
    hvOut?.set(hv!)
    backend.release()
    return hvOut === undefined ? { value, gradient: gradientOut } : { value, gradient: gradientOut, hv: hvOut }
  }

  /**
   * v ↦ ∇²f(w)·v at a fixed w, for loops of products at one point (Lanczos, Hutchinson,
   * conjugate gradients). Pearlmutter's R-passes need a, φ′, φ″, δ and g at w, which do not
   * depend on v: they are computed once here, in a workspace of the operator's own (the
   * backend's fork), and each product then runs only the R-passes: 6 of the 9 products of
   * evaluate(w, v) (R{z} = a·Vᵀ + R{a}·Wᵀ, R{∇W} = [R{δ}; δ]ᵀ[a; R{a}], R{g} = R{δ}·W + δ·V).
   * The product goes into `out` (a new array when not given).
   */
  hessianAt (parameters: ArrayLike<number>): (direction: ArrayLike<number>, out?: Float64Array) => Float64Array {
    const { batch: B, layers } = this
    const L = layers.length
    const n = this.parameterCount
    const kernels = this.backend.fork()
    const take = carve(kernels.workspace(this.fixedPointLength()))
    const w = take(n)
    w.set(parameters)
    const vCopy = take(n)
    const product = take(n)
    // stacks[l] = [a_l; R{a_l}] (R{a_0} = 0 is not stored), deltas[l] = [R{δ_l}; δ_l],
    // rPre[l] = R{z_l} (z_l while w's forward pass runs), g[l] = δ_l·W_l for l ≥ 1.
    const stacks: Float64Array[] = [take(B * layers[0].nIn)]
    stacks[0].set(this.inputs)
    const rPre: Float64Array[] = []
    const firsts: Float64Array[] = []
    const seconds: Float64Array[] = []
    const deltas: Float64Array[] = []
    const gs: Float64Array[] = []
    for (const [l, { nIn, nOut, weightOffset, biasOffset }] of layers.entries()) {
      const z = take(B * nOut)
      broadcastBias(z, w, biasOffset, B, nOut)
      kernels.multiplyAddTransposed(view(stacks[l], B, nIn), view(w, nOut, nIn, weightOffset), view(z, B, nOut), nOut, nIn)
      rPre.push(z)
      deltas.push(take(2 * B * nOut))
      gs.push(take(l > 0 ? B * nIn : 0))
      if (l === L - 1) break
      const stack = take(2 * B * nOut)
      const first = take(B * nOut)
      const second = take(B * nOut)
      activate(this.spec.activation, z, stack.subarray(0, B * nOut), first, second)
      stacks.push(stack)
      firsts.push(first)
      seconds.push(second)
    }
    const rg = take(B * Math.max(...layers.map((layer) => layer.nIn)))
    // The loss's δ at w, and the softmax for its R-derivative.
    const nOut = layers[L - 1].nOut
    const probabilities = take(this.classTargets === undefined ? 0 : B * nOut)
    const last = deltas[L - 1]
    if (this.classTargets !== undefined) {
      for (let b = 0; b < B; b++) {
        const { softmax: p } = softmaxStable(rPre[L - 1].subarray(b * nOut, (b + 1) * nOut))
        probabilities.set(p, b * nOut)
        for (let o = 0; o < nOut; o++) last[(B + b) * nOut + o] = (p[o] - (o === this.classTargets[b] ? 1 : 0)) / B
      }
    } else {
      const count = B * nOut
      for (let i = 0; i < count; i++) last[B * nOut + i] = 2 * (rPre[L - 1][i] - this.valueTargets![i]) / count
    }
    // δ back to the first layer: g_l = δ_l·W_l, δ_{l−1} = g_l ⊙ φ′.
    for (let l = L - 1; l > 0; l--) {
      const { nIn, nOut, weightOffset } = layers[l]
      const g = gs[l].fill(0)
      kernels.multiplyAddRows(plain(deltas[l], nOut, B * nOut), view(w, nOut, nIn, weightOffset), view(g, B, nIn), nIn, nOut)
      const first = firsts[l - 1]
      const below = deltas[l - 1]
      for (let i = 0; i < B * nIn; i++) below[B * nIn + i] = g[i] * first[i]
    }
    return (direction, out = new Float64Array(n)) => {
      // The caller's arrays themselves where the kernels can read and write them (the native
      // ones can, WebAssembly's only within its memory) and they do not overlap: each copy in or
      // out would be another pass over n doubles.
      let v = vCopy
      if (direction instanceof Float64Array && direction.length === n && kernels.addressable(direction)) v = direction
      else vCopy.set(direction)
      const hv = out.length === n && kernels.addressable(out) && disjoint(out, v) ? out : product
      hv.fill(0)
      // R-forward: R{z} = Vb + a·Vᵀ + R{a}·Wᵀ, R{a} = φ′ ⊙ R{z}.
      for (const [l, { nIn, nOut, weightOffset, biasOffset }] of layers.entries()) {
        const rz = rPre[l]
        broadcastBias(rz, v, biasOffset, B, nOut)
        kernels.multiplyAddTransposed(view(stacks[l], B, nIn), view(v, nOut, nIn, weightOffset), view(rz, B, nOut), nOut, nIn)
        if (l > 0) kernels.multiplyAddTransposed(view(stacks[l], B, nIn, B * nIn), view(w, nOut, nIn, weightOffset), view(rz, B, nOut), nOut, nIn)
        if (l === L - 1) break
        const first = firsts[l]
        const stack = stacks[l + 1]
        for (let i = 0; i < B * nOut; i++) stack[B * nOut + i] = rz[i] * first[i]
      }
      // R{δ_L}.
      const rz = rPre[L - 1]
      if (this.classTargets !== undefined) {
        for (let b = 0; b < B; b++) {
          let pDotR = 0
          for (let o = 0; o < nOut; o++) pDotR += probabilities[b * nOut + o] * rz[b * nOut + o]
          for (let o = 0; o < nOut; o++) last[b * nOut + o] = probabilities[b * nOut + o] * (rz[b * nOut + o] - pDotR) / B
        }
      } else {
        const count = B * nOut
        for (let i = 0; i < count; i++) last[i] = 2 * rz[i] / count
      }
      // R-backward.
      for (let l = L - 1; l >= 0; l--) {
        const { nIn, nOut, weightOffset, biasOffset } = layers[l]
        const depth = l > 0 ? 2 * B : B
        kernels.multiplyAddRows(transposed(deltas[l], nOut), view(stacks[l], depth, nIn), view(hv, nOut, nIn, weightOffset), nIn, depth)
        addColumnSums(deltas[l], 0, B, nOut, hv, biasOffset)
        if (l === 0) break
        const r = rg.subarray(0, B * nIn).fill(0)
        kernels.multiplyAddRows(plain(deltas[l], nOut), view(w, nOut, nIn, weightOffset), view(r, B, nIn), nIn, nOut)
        kernels.multiplyAddRows(plain(deltas[l], nOut, B * nOut), view(v, nOut, nIn, weightOffset), view(r, B, nIn), nIn, nOut)
        const first = firsts[l - 1]
        const second = seconds[l - 1]
        const rzBelow = rPre[l - 1]
        const g = gs[l]
        const below = deltas[l - 1]
        for (let i = 0; i < B * nIn; i++) below[i] = r[i] * first[i] + g[i] * second[i] * rzBelow[i]
      }
      if (hv !== out) out.set(hv)
      return out
    }
  }

  /** The doubles hessianAt keeps: w, v, the product, and the state at w of every layer. */
  private fixedPointLength (): number {
    const B = this.batch
    const L = this.layers.length
    let length = 3 * this.parameterCount + B * this.layers[0].nIn + B * Math.max(...this.layers.map((layer) => layer.nIn))
    for (const [l, { nIn, nOut }] of this.layers.entries()) {
      length += 3 * B * nOut // R{z}, [R{δ}; δ]
      if (l > 0) length += B * nIn // g
      if (l < L - 1) length += 4 * B * nOut // [a; R{a}], φ′, φ″
    }
    return length + (this.classTargets === undefined ? 0 : B * this.layers[L - 1].nOut)
  }

  /** The doubles evaluate takes from the workspace, with one or two halves per stack. */
  private workspaceLength (halves: number): number {
    const B = this.batch
    let length = 2 * halves * this.parameterCount + B * this.layers[0].nIn
    for (const [l, { nIn, nOut }] of this.layers.entries()) {
      length += halves * B * nOut // z (and R{z})
      if (l < this.layers.length - 1) length += (halves + 2) * B * nOut // activations, φ′, φ″
      if (l > 0) length += halves * B * nIn // [R{g}; g]
    }
    return length + halves * B * this.layers[this.layers.length - 1].nOut // the loss's [R{δ}; δ]
  }
}
