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
import { ImpossibleInputError } from './errors.js'
import { multiplyAddRows, multiplyAddTransposed, view } from './gemm.js'
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
function broadcastBias (w: Float64Array, biasOffset: number, batch: number, n: number): Float64Array {
  const out = new Float64Array(batch * n)
  for (let b = 0; b < batch; b++) out.set(w.subarray(biasOffset, biasOffset + n), b * n)
  return out
}

/** Σ_b δ[b][o], added into out at offset. */
function addColumnSums (delta: Float64Array, batch: number, n: number, out: Float64Array, offset: number): void {
  for (let b = 0; b < batch; b++) for (let o = 0; o < n; o++) out[offset + o] += delta[b * n + o]
}

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
  constructor (readonly spec: MlpSpec) {
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
   * @param w - parameters, PyTorch's layout
   */
  evaluate (parameters: ArrayLike<number>, direction?: ArrayLike<number>): Derivatives {
    // Typed copies keep every kernel monomorphic (JSON gives plain arrays, callers typed ones).
    const w = parameters instanceof Float64Array ? parameters : Float64Array.from(parameters)
    const v = direction === undefined || direction instanceof Float64Array ? direction : Float64Array.from(direction)
    const { batch: B, layers } = this
    const L = layers.length
    // Forward: pre-activations z_l, activations a_l, φ′ and φ″ at z_l; and their R-derivatives.
    const activations: Float64Array[] = [this.inputs]
    const rActivations: Array<Float64Array | undefined> = [undefined] // R{a_0} = 0
    const pre: Float64Array[] = []
    const rPre: Float64Array[] = []
    const firsts: Float64Array[] = []
    const seconds: Float64Array[] = []
    for (let l = 0; l < L; l++) {
      const { nIn, nOut, weightOffset, biasOffset } = layers[l]
      const weights = view(w, nOut, nIn, weightOffset)
      const z = broadcastBias(w, biasOffset, B, nOut)
      multiplyAddTransposed(view(activations[l], B, nIn), weights, view(z, B, nOut), nOut, nIn)
      pre.push(z)
      if (v !== undefined) {
        // R{z} = a·Vᵀ + Vb + R{a}·Wᵀ
        const rz = broadcastBias(v, biasOffset, B, nOut)
        multiplyAddTransposed(view(activations[l], B, nIn), view(v, nOut, nIn, weightOffset), view(rz, B, nOut), nOut, nIn)
        const ra = rActivations[l]
        if (ra !== undefined) multiplyAddTransposed(view(ra, B, nIn), weights, view(rz, B, nOut), nOut, nIn)
        rPre.push(rz)
      }
      if (l === L - 1) break
      const a = new Float64Array(z.length)
      const first = new Float64Array(z.length)
      const second = new Float64Array(z.length)
      activate(this.spec.activation, z, a, first, second)
      activations.push(a)
      firsts.push(first)
      seconds.push(second)
      if (v !== undefined) rActivations.push(rPre[l].map((r, i) => r * first[i]))
    }
    // Loss and δ_L = ∂ℓ/∂z_L (and R{δ_L}).
    const logits = pre[L - 1]
    const nOut = layers[L - 1].nOut
    let delta = new Float64Array(B * nOut)
    let rDelta = v !== undefined ? new Float64Array(B * nOut) : undefined
    let value = 0
    if (this.classTargets !== undefined) {
      for (let b = 0; b < B; b++) {
        const row = logits.subarray(b * nOut, (b + 1) * nOut)
        const { softmax: p, logSoftmax } = softmaxStable(row)
        const target = this.classTargets[b]
        value -= logSoftmax[target] / B
        let pDotR = 0
        if (rDelta !== undefined) for (let o = 0; o < nOut; o++) pDotR += p[o] * rPre[L - 1][b * nOut + o]
        for (let o = 0; o < nOut; o++) {
          delta[b * nOut + o] = (p[o] - (o === target ? 1 : 0)) / B
          if (rDelta !== undefined) rDelta[b * nOut + o] = p[o] * (rPre[L - 1][b * nOut + o] - pDotR) / B
        }
      }
    } else {
      const targets = this.valueTargets!
      const count = B * nOut
      for (let i = 0; i < count; i++) {
        const residual = logits[i] - targets[i]
        value += residual * residual / count
        delta[i] = 2 * residual / count
        if (rDelta !== undefined) rDelta[i] = 2 * rPre[L - 1][i] / count
      }
    }
    // Backward, each product in the form it needs (multiplyAddRows): nothing is transposed.
    const gradient = new Float64Array(this.parameterCount)
    const hv = v !== undefined ? new Float64Array(this.parameterCount) : undefined
    // δ (B × nOut) read as δᵀ (nOut × B) for ∇W = δᵀ·a, and as itself for g = δ·W.
    const transposed = (m: Float64Array, columns: number) => ({ data: m, offset: 0, rowStep: 1, depthStep: columns })
    const plain = (m: Float64Array, columns: number) => ({ data: m, offset: 0, rowStep: columns, depthStep: 1 })
    for (let l = L - 1; l >= 0; l--) {
      const { nIn, nOut, weightOffset, biasOffset } = layers[l]
      // ∇W = δᵀa; R{∇W} = R{δ}ᵀa + δᵀR{a}.
      const gradientW = view(gradient, nOut, nIn, weightOffset)
      multiplyAddRows(transposed(delta, nOut), view(activations[l], B, nIn), gradientW, nIn, B)
      addColumnSums(delta, B, nOut, gradient, biasOffset)
      const ra = rActivations[l]
      if (hv !== undefined) {
        const hvW = view(hv, nOut, nIn, weightOffset)
        multiplyAddRows(transposed(rDelta!, nOut), view(activations[l], B, nIn), hvW, nIn, B)
        if (ra !== undefined) multiplyAddRows(transposed(delta, nOut), view(ra, B, nIn), hvW, nIn, B)
        addColumnSums(rDelta!, B, nOut, hv, biasOffset)
      }
      if (l === 0) break
      // g = δ·W; R{g} = R{δ}·W + δ·V.
      const weights = view(w, nOut, nIn, weightOffset)
      const g = new Float64Array(B * nIn)
      multiplyAddRows(plain(delta, nOut), weights, view(g, B, nIn), nIn, nOut)
      const first = firsts[l - 1]
      if (hv !== undefined) {
        const rg = new Float64Array(B * nIn)
        multiplyAddRows(plain(rDelta!, nOut), weights, view(rg, B, nIn), nIn, nOut)
        multiplyAddRows(plain(delta, nOut), view(v!, nOut, nIn, weightOffset), view(rg, B, nIn), nIn, nOut)
        const second = seconds[l - 1]
        const rz = rPre[l - 1]
        rDelta = rg.map((x, i) => x * first[i] + g[i] * second[i] * rz[i])
      }
      delta = g.map((x, i) => x * first[i])
    }
    return hv === undefined ? { value, gradient } : { value, gradient, hv }
  }
}
