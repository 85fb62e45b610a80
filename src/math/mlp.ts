/**
 * A fully connected network's loss, gradient and exact Hessian-vector product (question 3.6)
 * by Pearlmutter's R-operator ("Fast exact multiplication by the Hessian", Neural
 * Computation 6(1), 1994) carried through back-propagation over whole layers.
 *
 * Model (API.md): z_l = a_{l−1}W_lᵀ + b_l, a_l = φ(z_l) for l < L, logits z_L; loss the batch
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

/** y[b][o] = bias[o] + Σ_i x[b][i]·W[o][i] (x: B×nIn, W: nOut×nIn at offset), added into y when accumulate. */
function linear (x: Float64Array, w: Float64Array, weightOffset: number, biasOffset: number, batch: number, nIn: number, nOut: number, y: Float64Array, accumulate: boolean): void {
  for (let b = 0; b < batch; b++) {
    const xRow = b * nIn
    for (let o = 0; o < nOut; o++) {
      const wRow = weightOffset + o * nIn
      // Four independent partial sums let the CPU overlap the multiply-adds.
      let s0 = 0
      let s1 = 0
      let s2 = 0
      let s3 = 0
      let i = 0
      for (; i + 3 < nIn; i += 4) {
        s0 += x[xRow + i] * w[wRow + i]
        s1 += x[xRow + i + 1] * w[wRow + i + 1]
        s2 += x[xRow + i + 2] * w[wRow + i + 2]
        s3 += x[xRow + i + 3] * w[wRow + i + 3]
      }
      for (; i < nIn; i++) s0 += x[xRow + i] * w[wRow + i]
      let sum = (s0 + s1) + (s2 + s3)
      if (biasOffset >= 0) sum += w[biasOffset + o]
      y[b * nOut + o] = accumulate ? y[b * nOut + o] + sum : sum
    }
  }
}

/** G[o][i] += Σ_b δ[b][o]·x[b][i], into gradient at offset; and biases Σ_b δ[b][o]. */
function outerAccumulate (delta: Float64Array, x: Float64Array, batch: number, nIn: number, nOut: number, gradient: Float64Array, weightOffset: number, biasOffset: number): void {
  for (let b = 0; b < batch; b++) {
    const xRow = b * nIn
    for (let o = 0; o < nOut; o++) {
      const d = delta[b * nOut + o]
      if (d === 0) continue
      const gRow = weightOffset + o * nIn
      for (let i = 0; i < nIn; i++) gradient[gRow + i] += d * x[xRow + i]
      if (biasOffset >= 0) gradient[biasOffset + o] += d
    }
  }
}

/** g[b][i] += Σ_o δ[b][o]·W[o][i]. */
function backThroughWeights (delta: Float64Array, w: Float64Array, weightOffset: number, batch: number, nIn: number, nOut: number, g: Float64Array): void {
  for (let b = 0; b < batch; b++) {
    const gRow = b * nIn
    for (let o = 0; o < nOut; o++) {
      const d = delta[b * nOut + o]
      if (d === 0) continue
      const wRow = weightOffset + o * nIn
      for (let i = 0; i < nIn; i++) g[gRow + i] += d * w[wRow + i]
    }
  }
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
    const withR = v !== undefined
    // Forward: pre-activations z_l, activations a_l, φ′ and φ″ at z_l; and their R-derivatives.
    const activations: Float64Array[] = [this.inputs]
    const rActivations: Array<Float64Array | undefined> = [undefined] // R{a_0} = 0
    const pre: Float64Array[] = []
    const rPre: Float64Array[] = []
    const firsts: Float64Array[] = []
    const seconds: Float64Array[] = []
    for (let l = 0; l < L; l++) {
      const { nIn, nOut, weightOffset, biasOffset } = layers[l]
      const z = new Float64Array(B * nOut)
      linear(activations[l], w, weightOffset, biasOffset, B, nIn, nOut, z, false)
      pre.push(z)
      if (withR) {
        const rz = new Float64Array(B * nOut)
        linear(activations[l], v, weightOffset, biasOffset, B, nIn, nOut, rz, false)
        const ra = rActivations[l]
        if (ra !== undefined) linear(ra, w, weightOffset, -1, B, nIn, nOut, rz, true)
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
      if (withR) rActivations.push(rPre[l].map((r, i) => r * first[i]))
    }
    // Loss and δ_L = ∂ℓ/∂z_L (and R{δ_L}).
    const logits = pre[L - 1]
    const nOut = layers[L - 1].nOut
    let delta = new Float64Array(B * nOut)
    let rDelta = withR ? new Float64Array(B * nOut) : undefined
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
    // Backward.
    const gradient = new Float64Array(this.parameterCount)
    const hv = withR ? new Float64Array(this.parameterCount) : undefined
    for (let l = L - 1; l >= 0; l--) {
      const { nIn, nOut, weightOffset, biasOffset } = layers[l]
      outerAccumulate(delta, activations[l], B, nIn, nOut, gradient, weightOffset, biasOffset)
      if (hv !== undefined) {
        outerAccumulate(rDelta!, activations[l], B, nIn, nOut, hv, weightOffset, biasOffset)
        const ra = rActivations[l]
        if (ra !== undefined) outerAccumulate(delta, ra, B, nIn, nOut, hv, weightOffset, -1)
      }
      if (l === 0) break
      const g = new Float64Array(B * nIn)
      backThroughWeights(delta, w, weightOffset, B, nIn, nOut, g)
      const first = firsts[l - 1]
      const nextDelta = g.map((x, i) => x * first[i])
      if (hv !== undefined) {
        const rg = new Float64Array(B * nIn)
        backThroughWeights(rDelta!, w, weightOffset, B, nIn, nOut, rg)
        backThroughWeights(delta, v!, weightOffset, B, nIn, nOut, rg)
        const second = seconds[l - 1]
        const rz = rPre[l - 1]
        rDelta = rg.map((x, i) => x * first[i] + g[i] * second[i] * rz[i])
      }
      delta = nextDelta
    }
    return hv === undefined ? { value, gradient } : { value, gradient, hv }
  }
}
