/**
 * Question 5.4, answered by experiment: can four 3×3 convolutions (zero padding 1,
 * 16 intermediate channels, 1 output channel) learn "each output corner is white when the
 * two diagonally opposite input corners agree", and does a residual connection change it?
 *
 * The data (Figure 2 is lost; reconstructed from the text): 5×5 binary images, all black (0)
 * except the top-left corner a and the bottom-right corner b, each black (0) or white (1),
 * the four combinations (a, b) ∈ {0, 1}². The target map has both corners (0, 0) and (4, 4)
 * equal to XNOR(a, b) = [a = b] and every other pixel black (0): the text only speaks of the
 * corners, and 0 is the background of both input and output. Accuracy is judged on the
 * 8 corner pixels (the question's task) and reported on all 100 pixels too.
 *
 * Network (PyTorch's conventions; convolution is cross-correlation):
 *
 *   h₁ = relu(conv₁(x))        conv₁: 1 → 16
 *   h₂ = relu(conv₂(h₁))       conv₂: 16 → 16
 *   h₃ = relu(conv₃(h₂) [+ h₁]) conv₃: 16 → 16; "+ h₁" only with `residual`
 *   z  = conv₄(h₃)             conv₄: 16 → 1, p = σ(z)
 *
 * with biases on every layer. The residual variant is a ResNet basic block around conv₂ and
 * conv₃: the block's input h₁ is added to conv₃'s output before the ReLU (He, Zhang, Ren &
 * Sun, "Deep Residual Learning for Image Recognition", CVPR 2016, Fig. 2 and eq. 1,
 * y = F(x, {Wᵢ}) + x, without batch normalisation). h₁ and conv₃(h₂) have the same shape
 * (16×5×5), so no projection is needed.
 *
 * Loss: mean binary cross-entropy with logits over the 4·25 pixels, in the stable form
 * max(z, 0) − z·y + log1p(e^{−|z|}) (PyTorch's `binary_cross_entropy_with_logits`), whose
 * gradient is (σ(z) − y)/100. Optimiser: full-batch Adam with PyTorch's update (Kingma & Ba
 * 2015; `torch.optim.Adam` defaults β = (0.9, 0.999), ε = 1e−8, ε added after the bias-
 * corrected √v̂). Initialisation: PyTorch's default for `nn.Conv2d`, kaiming_uniform with
 * a = √5, i.e. weights and biases U(−1/√fan_in, 1/√fan_in), fan_in = in_channels·9, drawn
 * from this module's own seeded generator (xoshiro128** seeded by splitmix32), so the same
 * seed gives bit-identical results on every machine: only +, −, ×, ÷, √ (IEEE, correctly
 * rounded) and V8's own fdlibm exp/log1p are used, in a fixed order.
 *
 * Receptive field: each 3×3 layer widens it by 2, so four give 9×9, offsets up to ±4 around
 * the output pixel: on a 5×5 image every output pixel sees every input pixel, in particular
 * each output corner sees the opposite input corner — but through a single chain of kernel
 * taps (the offset is exactly 4 = the number of layers, so every layer must step one pixel
 * diagonally). The residual connection adds a shorter path (conv₁ → skip → conv₄, 5×5) and
 * does not remove the long one, so the receptive field stays 9×9: it changes optimisation,
 * not what the network can see.
 */
import { sigmoid } from './activations.js'
import { InvalidRequestError, LimitExceededError } from './errors.js'

/** Side of the images (5×5). */
export const CORNER_IMAGE_SIDE = 5
/** Intermediate channels. */
export const CORNER_CHANNELS = 16
/** Largest `epochs` a request may ask for (the operation's default limit; pass another to `runCornerExperiment`). */
export const CORNER_MAX_EPOCHS = 6000
/**
 * @throws {InvalidRequestError} when epochs is not an integer
 * @throws {LimitExceededError} when it is outside [1, maxEpochs]
 */
export function checkEpochs (epochs: number, maxEpochs = CORNER_MAX_EPOCHS): void {
  if (!Number.isInteger(epochs)) throw new InvalidRequestError(`epochs must be an integer, got ${epochs}`)
  if (epochs < 1 || epochs > maxEpochs) {
    throw new LimitExceededError(`epochs is ${epochs}, outside [1, ${maxEpochs}] (the corner experiment's epoch limit, CORNER_MAX_EPOCHS); ask for fewer epochs`)
  }
}

/**
 * Default epochs: at the default learning rate, runs of seeds 0..19 that reach 100 % on the
 * corners within 3000 epochs do so between epoch 465 and 2268 (13 of 15 by 2000), and stuck
 * runs have flattened at 8·ln 2/100 long before (scripts/corner-seeds.ts); 2000 epochs are
 * about 6 Gflop, a few seconds.
 */
export const CORNER_DEFAULT_EPOCHS = 2000
/**
 * Default learning rate: PyTorch's own Adam default, 1e−3, so the answer is what a student
 * running `torch.optim.Adam(model.parameters())` sees. Ten times larger (0.01) converges
 * faster but gets stuck far more often (2 of 20 seeds reach 100 % instead of 7 of 20, plain).
 */
export const CORNER_DEFAULT_LEARNING_RATE = 0.001
/** Adam's β₁, β₂ and ε, PyTorch's defaults. */
export const ADAM = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 } as const
/** Points kept in `lossCurve` at most. */
export const CORNER_LOSS_CURVE_POINTS = 200

const SIDE = CORNER_IMAGE_SIDE
const PIXELS = SIDE * SIDE
const IMAGES = 4
/** Columns of every activation matrix: image-major, then row-major pixels. */
const COLUMNS = IMAGES * PIXELS
const TAPS = 9
const C = CORNER_CHANNELS
/** Layers: [in channels, out channels]. */
const LAYERS = [[1, C], [C, C], [C, C], [C, 1]] as const
const LAYER_NAMES = ['conv1', 'conv2', 'conv3', 'conv4'] as const
export type CornerLayerName = typeof LAYER_NAMES[number]

export interface ConvLayerWeights<A extends ArrayLike<number> = Float64Array> {
  /** out × in × 3 × 3, row-major (PyTorch's `Conv2d.weight` flattened) */
  weight: A
  /** out */
  bias: A
}

/** The network's parameters, in PyTorch's `parameters()` order. */
export type CornerNetworkWeights<A extends ArrayLike<number> = Float64Array> = Record<CornerLayerName, ConvLayerWeights<A>>

/** Offsets of each tensor in the flat parameter vector (PyTorch's order: weight then bias, layer by layer). */
const OFFSETS = (() => {
  let offset = 0
  return LAYERS.map(([inputs, outputs]) => {
    const weight = offset
    offset += outputs * inputs * TAPS
    const bias = offset
    offset += outputs
    return { weight, bias, end: offset, inputs, outputs }
  })
})()
/** 4945: 160 + 2320 + 2320 + 145. */
export const CORNER_PARAMETER_COUNT = OFFSETS[OFFSETS.length - 1].end

/**
 * SOURCE[tap·25 + p]: the input pixel that kernel tap (ki, kj) reads for output pixel
 * p = (r, c), i.e. (r + ki − 1, c + kj − 1), or −1 where that falls in the zero padding.
 */
const SOURCE = (() => {
  const source = new Int32Array(TAPS * PIXELS)
  for (let tap = 0; tap < TAPS; tap++) {
    const dr = Math.floor(tap / 3) - 1
    const dc = (tap % 3) - 1
    for (let p = 0; p < PIXELS; p++) {
      const r = Math.floor(p / SIDE) + dr
      const c = (p % SIDE) + dc
      source[tap * PIXELS + p] = r >= 0 && r < SIDE && c >= 0 && c < SIDE ? r * SIDE + c : -1
    }
  }
  return source
})()

// ------------------------------------------------------------------ data

export interface CornerExample {
  /** top-left input corner, 0 (black) or 1 (white) */
  topLeft: 0 | 1
  /** bottom-right input corner */
  bottomRight: 0 | 1
  /** 5×5, row-major rows */
  input: number[][]
  /** 5×5: both corners [topLeft = bottomRight], every other pixel 0 */
  target: number[][]
}

export interface CornerDataset {
  examples: CornerExample[]
  description: string
}

const DATASET_DESCRIPTION = 'Figure 2 of the assignment is lost; reconstructed from the text of question 5.4. ' +
  'Inputs: the four 5×5 binary images whose top-left pixel a and bottom-right pixel b are each black (0) or white (1), ' +
  'every other pixel black, in the order (a, b) = (0, 0), (0, 1), (1, 0), (1, 1). ' +
  'Targets: 5×5 maps whose top-left and bottom-right pixels are white (1) when a = b and black (0) when a ≠ b ' +
  '(each output corner compares the input corner under it with the diagonally opposite one); every other target pixel is black (0), ' +
  'the background of the images, as the text says nothing about it. Accuracy is judged on the 8 corner pixels (the task) ' +
  'and reported on all 100 pixels; a pixel is predicted white when σ(z) > 0.5.'

/**
 * The four examples of question 5.4 (Figure 2, reconstructed: see the module comment).
 * Corners that differ (a = 0, b = 1) give a black target corner; equal ones (a = b = 1) white:
 * @example cornerDataset().examples[1].target[0][0] // 0
 * @example cornerDataset().examples[3].target[4][4] // 1
 */
export function cornerDataset (): CornerDataset {
  const examples: CornerExample[] = []
  for (const topLeft of [0, 1] as const) {
    for (const bottomRight of [0, 1] as const) {
      const input = Array.from({ length: SIDE }, () => new Array<number>(SIDE).fill(0))
      const target = Array.from({ length: SIDE }, () => new Array<number>(SIDE).fill(0))
      input[0][0] = topLeft
      input[SIDE - 1][SIDE - 1] = bottomRight
      const agree = topLeft === bottomRight ? 1 : 0
      target[0][0] = agree
      target[SIDE - 1][SIDE - 1] = agree
      examples.push({ topLeft, bottomRight, input, target })
    }
  }
  return { examples, description: DATASET_DESCRIPTION }
}

/** Inputs and targets as 1 × 100 rows (image-major, row-major pixels). */
function datasetColumns (): { inputs: Float64Array, targets: Float64Array } {
  const inputs = new Float64Array(COLUMNS)
  const targets = new Float64Array(COLUMNS)
  cornerDataset().examples.forEach((example, n) => {
    for (let p = 0; p < PIXELS; p++) {
      inputs[n * PIXELS + p] = example.input[Math.floor(p / SIDE)][p % SIDE]
      targets[n * PIXELS + p] = example.target[Math.floor(p / SIDE)][p % SIDE]
    }
  })
  return { inputs, targets }
}

/** Pixel indices of the two corners that are judged. */
const CORNER_PIXELS = [0, PIXELS - 1] as const

// ------------------------------------------------------------------ random initialisation

/** splitmix32 step (a 32-bit variant of Steele, Lea & Flood's SplitMix), used to seed xoshiro. */
function splitmix32 (state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) | 0
  let z = state.s
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
  return (z ^ (z >>> 16)) >>> 0
}

/**
 * xoshiro128** (Blackman & Vigna 2018) on 32-bit integer operations, and uniform doubles in
 * [0, 1) with 53 random bits (27 + 26, as Mersenne Twister's genrand_res53).
 */
export function cornerRandom (seed: number): () => number {
  const seeder = { s: seed | 0 }
  let s0 = splitmix32(seeder)
  let s1 = splitmix32(seeder)
  let s2 = splitmix32(seeder)
  let s3 = splitmix32(seeder)
  const next = (): number => {
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0
    const t = s1 << 9
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = rotl(s3, 11)
    return result
  }
  return () => ((next() >>> 5) * 67108864 + (next() >>> 6)) / 9007199254740992
}

function rotl (x: number, k: number): number {
  return (x << k) | (x >>> (32 - k))
}

/**
 * PyTorch's default `nn.Conv2d` initialisation, from this module's generator: every weight
 * and bias U(−1/√fan_in, 1/√fan_in), fan_in = in_channels·9 (kaiming_uniform with a = √5:
 * gain √(2/(1 + 5)), bound √3·gain/√fan_in = 1/√fan_in), drawn in `parameters()` order.
 * @throws {InvalidRequestError} when seed is not an integer in [0, 2³² − 1]
 */
export function initialCornerWeights (seed: number): CornerNetworkWeights {
  checkSeed(seed)
  const uniform = cornerRandom(seed)
  const parameters = new Float64Array(CORNER_PARAMETER_COUNT)
  for (const { weight, end, inputs } of OFFSETS) {
    const bound = 1 / Math.sqrt(inputs * TAPS)
    for (let i = weight; i < end; i++) parameters[i] = (2 * uniform() - 1) * bound
  }
  return unflatten(parameters)
}

function checkSeed (seed: number): void {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new InvalidRequestError(`seed must be an integer in [0, 4294967295], got ${seed}`)
  }
}

/** Views of the tensors of a flat parameter vector (no copy). */
function unflatten (parameters: Float64Array): CornerNetworkWeights {
  const entries = OFFSETS.map(({ weight, bias, end }, l) =>
    [LAYER_NAMES[l], { weight: parameters.subarray(weight, bias), bias: parameters.subarray(bias, end) }] as const)
  return Object.fromEntries(entries) as CornerNetworkWeights
}

/** The flat parameter vector of named tensors, checking every length and value. */
function flatten (weights: CornerNetworkWeights<ArrayLike<number>>): Float64Array {
  const parameters = new Float64Array(CORNER_PARAMETER_COUNT)
  OFFSETS.forEach(({ weight, bias, end }, l) => {
    const name = LAYER_NAMES[l]
    const layer = weights[name]
    copyTensor(`initialWeights.${name}.weight`, layer?.weight, parameters, weight, bias)
    copyTensor(`initialWeights.${name}.bias`, layer?.bias, parameters, bias, end)
  })
  return parameters
}

function copyTensor (field: string, values: ArrayLike<number> | undefined, into: Float64Array, start: number, end: number): void {
  const length = end - start
  if (values?.length !== length) {
    throw new InvalidRequestError(`${field} must have ${length} entries, got ${values?.length ?? 'none'}`)
  }
  for (let i = 0; i < length; i++) {
    const value = values[i]
    if (!Number.isFinite(value)) throw new InvalidRequestError(`${field}[${i}] must be a finite number, got ${value}`)
    into[start + i] = value
  }
}

// ------------------------------------------------------------------ the network

/** Buffers for one forward and backward pass, allocated once per training run. */
interface Workspace {
  residual: boolean
  inputs: Float64Array
  targets: Float64Array
  /** im2col of each layer's input: (in·9) × 100 */
  columns: Float64Array[]
  /** pre-activations of each layer (the skip included for conv₃): out × 100 */
  pre: Float64Array[]
  /** post-ReLU activations h₁, h₂, h₃ */
  hidden: Float64Array[]
  /** ∂loss/∂pre of each layer */
  preGradient: Float64Array[]
  /** ∂loss/∂h of each hidden layer */
  hiddenGradient: Float64Array[]
  /** ∂loss/∂columns, shared (largest size) */
  columnGradient: Float64Array
}

function workspace (residual: boolean): Workspace {
  const { inputs, targets } = datasetColumns()
  return {
    residual,
    inputs,
    targets,
    columns: LAYERS.map(([inputs]) => new Float64Array(inputs * TAPS * COLUMNS)),
    pre: LAYERS.map(([, outputs]) => new Float64Array(outputs * COLUMNS)),
    hidden: [0, 1, 2].map(() => new Float64Array(C * COLUMNS)),
    preGradient: LAYERS.map(([, outputs]) => new Float64Array(outputs * COLUMNS)),
    hiddenGradient: [0, 1, 2].map(() => new Float64Array(C * COLUMNS)),
    columnGradient: new Float64Array(C * TAPS * COLUMNS)
  }
}

/** columns[(i·9 + tap)·100 + n·25 + p] = input[i·100 + n·25 + SOURCE[tap·25 + p]], 0 in the padding. */
function im2col (input: Float64Array, channels: number, columns: Float64Array): void {
  for (let i = 0; i < channels; i++) {
    for (let tap = 0; tap < TAPS; tap++) {
      const row = (i * TAPS + tap) * COLUMNS
      for (let n = 0; n < IMAGES; n++) {
        const base = i * COLUMNS + n * PIXELS
        for (let p = 0; p < PIXELS; p++) {
          const s = SOURCE[tap * PIXELS + p]
          columns[row + n * PIXELS + p] = s < 0 ? 0 : input[base + s]
        }
      }
    }
  }
}

/** The transpose of im2col: input gradient[i·100 + n·25 + s] = Σ over (tap, p) reading s. */
function col2im (columnGradient: Float64Array, channels: number, inputGradient: Float64Array): void {
  inputGradient.fill(0, 0, channels * COLUMNS)
  for (let i = 0; i < channels; i++) {
    for (let tap = 0; tap < TAPS; tap++) {
      const row = (i * TAPS + tap) * COLUMNS
      for (let n = 0; n < IMAGES; n++) {
        const base = i * COLUMNS + n * PIXELS
        for (let p = 0; p < PIXELS; p++) {
          const s = SOURCE[tap * PIXELS + p]
          if (s >= 0) inputGradient[base + s] += columnGradient[row + n * PIXELS + p]
        }
      }
    }
  }
}

/*
 * The three products below carry four output channels at a time (16 = 4·4; conv₄'s single
 * output takes the plain loop): each column entry is then loaded once for four
 * multiply-adds, which measured 2.2× faster in V8 than one channel at a time.
 */

/** pre[o·100 + j] = b[o] + Σ_k W[o·K + k]·columns[k·100 + j], K = in·9. */
function convolve (parameters: Float64Array, layer: number, columns: Float64Array, pre: Float64Array): void {
  const { weight, bias, inputs, outputs } = OFFSETS[layer]
  const depth = inputs * TAPS
  const blocked = outputs - (outputs % 4)
  for (let o = 0; o < blocked; o += 4) {
    const out0 = o * COLUMNS
    const out1 = out0 + COLUMNS
    const out2 = out1 + COLUMNS
    const out3 = out2 + COLUMNS
    const b0 = parameters[bias + o]
    const b1 = parameters[bias + o + 1]
    const b2 = parameters[bias + o + 2]
    const b3 = parameters[bias + o + 3]
    for (let j = 0; j < COLUMNS; j++) {
      pre[out0 + j] = b0
      pre[out1 + j] = b1
      pre[out2 + j] = b2
      pre[out3 + j] = b3
    }
    const w0 = weight + o * depth
    for (let k = 0; k < depth; k++) {
      const a0 = parameters[w0 + k]
      const a1 = parameters[w0 + depth + k]
      const a2 = parameters[w0 + 2 * depth + k]
      const a3 = parameters[w0 + 3 * depth + k]
      const row = k * COLUMNS
      for (let j = 0; j < COLUMNS; j++) {
        const x = columns[row + j]
        pre[out0 + j] += a0 * x
        pre[out1 + j] += a1 * x
        pre[out2 + j] += a2 * x
        pre[out3 + j] += a3 * x
      }
    }
  }
  for (let o = blocked; o < outputs; o++) {
    const out = o * COLUMNS
    const b = parameters[bias + o]
    for (let j = 0; j < COLUMNS; j++) pre[out + j] = b
    for (let k = 0; k < depth; k++) {
      const w = parameters[weight + o * depth + k]
      const row = k * COLUMNS
      for (let j = 0; j < COLUMNS; j++) pre[out + j] += w * columns[row + j]
    }
  }
}

/**
 * Gradients of one layer from ∂loss/∂pre: ∂W[o, k] = Σ_j ∂pre[o, j]·columns[k, j],
 * ∂b[o] = Σ_j ∂pre[o, j] and, unless it is the first layer, ∂columns[k, j] = Σ_o W[o, k]·∂pre[o, j].
 */
function convolveBackward (parameters: Float64Array, gradient: Float64Array, layer: number, columns: Float64Array, preGradient: Float64Array, columnGradient: Float64Array | null): void {
  const { weight, bias, inputs, outputs } = OFFSETS[layer]
  const depth = inputs * TAPS
  const blocked = outputs - (outputs % 4)
  for (let o = 0; o < outputs; o++) {
    let biasSum = 0
    for (let j = 0; j < COLUMNS; j++) biasSum += preGradient[o * COLUMNS + j]
    gradient[bias + o] = biasSum
  }
  for (let o = 0; o < blocked; o += 4) {
    const out0 = o * COLUMNS
    const out1 = out0 + COLUMNS
    const out2 = out1 + COLUMNS
    const out3 = out2 + COLUMNS
    const w0 = weight + o * depth
    for (let k = 0; k < depth; k++) {
      const row = k * COLUMNS
      let s0 = 0
      let s1 = 0
      let s2 = 0
      let s3 = 0
      for (let j = 0; j < COLUMNS; j++) {
        const x = columns[row + j]
        s0 += preGradient[out0 + j] * x
        s1 += preGradient[out1 + j] * x
        s2 += preGradient[out2 + j] * x
        s3 += preGradient[out3 + j] * x
      }
      gradient[w0 + k] = s0
      gradient[w0 + depth + k] = s1
      gradient[w0 + 2 * depth + k] = s2
      gradient[w0 + 3 * depth + k] = s3
    }
  }
  for (let o = blocked; o < outputs; o++) {
    const out = o * COLUMNS
    for (let k = 0; k < depth; k++) {
      const row = k * COLUMNS
      let sum = 0
      for (let j = 0; j < COLUMNS; j++) sum += preGradient[out + j] * columns[row + j]
      gradient[weight + o * depth + k] = sum
    }
  }
  if (columnGradient === null) return
  columnGradient.fill(0, 0, depth * COLUMNS)
  for (let o = 0; o < blocked; o += 4) {
    const out0 = o * COLUMNS
    const out1 = out0 + COLUMNS
    const out2 = out1 + COLUMNS
    const out3 = out2 + COLUMNS
    const w0 = weight + o * depth
    for (let k = 0; k < depth; k++) {
      const a0 = parameters[w0 + k]
      const a1 = parameters[w0 + depth + k]
      const a2 = parameters[w0 + 2 * depth + k]
      const a3 = parameters[w0 + 3 * depth + k]
      const row = k * COLUMNS
      for (let j = 0; j < COLUMNS; j++) {
        columnGradient[row + j] += a0 * preGradient[out0 + j] + a1 * preGradient[out1 + j] + a2 * preGradient[out2 + j] + a3 * preGradient[out3 + j]
      }
    }
  }
  for (let o = blocked; o < outputs; o++) {
    const out = o * COLUMNS
    for (let k = 0; k < depth; k++) {
      const w = parameters[weight + o * depth + k]
      const row = k * COLUMNS
      for (let j = 0; j < COLUMNS; j++) columnGradient[row + j] += w * preGradient[out + j]
    }
  }
}

function relu (pre: Float64Array, hidden: Float64Array): void {
  for (let j = 0; j < hidden.length; j++) hidden[j] = pre[j] > 0 ? pre[j] : 0
}

/** ∂/∂pre = ∂/∂h·[pre > 0] (relu′(0) = 0, as PyTorch). */
function reluBackward (pre: Float64Array, hiddenGradient: Float64Array, preGradient: Float64Array): void {
  for (let j = 0; j < preGradient.length; j++) preGradient[j] = pre[j] > 0 ? hiddenGradient[j] : 0
}

/** Forward pass: logits in ws.pre[3]; returns the mean binary cross-entropy. */
function forward (ws: Workspace, parameters: Float64Array): number {
  let input = ws.inputs
  for (let l = 0; l < LAYERS.length; l++) {
    im2col(input, LAYERS[l][0], ws.columns[l])
    convolve(parameters, l, ws.columns[l], ws.pre[l])
    if (l === 2 && ws.residual) {
      const pre = ws.pre[2]
      const skip = ws.hidden[0]
      for (let j = 0; j < pre.length; j++) pre[j] += skip[j]
    }
    if (l < 3) {
      relu(ws.pre[l], ws.hidden[l])
      input = ws.hidden[l]
    }
  }
  const logits = ws.pre[3]
  let sum = 0
  for (let j = 0; j < COLUMNS; j++) {
    const z = logits[j]
    sum += (z > 0 ? z : 0) - z * ws.targets[j] + Math.log1p(Math.exp(-Math.abs(z)))
  }
  return sum / COLUMNS
}

/** Backward pass after `forward`: the full gradient into `gradient` (flat, parameters' layout). */
function backward (ws: Workspace, parameters: Float64Array, gradient: Float64Array): void {
  const logits = ws.pre[3]
  const dLogits = ws.preGradient[3]
  for (let j = 0; j < COLUMNS; j++) dLogits[j] = (sigmoid(logits[j]) - ws.targets[j]) / COLUMNS
  for (let l = 3; l >= 0; l--) {
    const columnGradient = l === 0 ? null : ws.columnGradient
    convolveBackward(parameters, gradient, l, ws.columns[l], ws.preGradient[l], columnGradient)
    if (columnGradient === null) break
    const below = l - 1
    col2im(columnGradient, LAYERS[l][0], ws.hiddenGradient[below])
    if (below === 0 && ws.residual) {
      // h₁ also feeds conv₃'s sum directly: ∂loss/∂h₁ += ∂loss/∂pre₃.
      const hiddenGradient = ws.hiddenGradient[0]
      const skip = ws.preGradient[2]
      for (let j = 0; j < hiddenGradient.length; j++) hiddenGradient[j] += skip[j]
    }
    reluBackward(ws.pre[below], ws.hiddenGradient[below], ws.preGradient[below])
  }
}

/** Both judged corners of every image predicted right (z > 0 ⇔ white). */
function cornersCorrect (logits: Float64Array, targets: Float64Array): number {
  let correct = 0
  for (let n = 0; n < IMAGES; n++) {
    for (const p of CORNER_PIXELS) {
      const j = n * PIXELS + p
      if ((logits[j] > 0 ? 1 : 0) === targets[j]) correct++
    }
  }
  return correct
}

/**
 * Units where the two input corners meet on the way to an output corner — conv₂'s 16 at
 * (2, 2) and conv₃'s 16 at (1, 1) for the top-left output, (3, 3) for the bottom-right one —
 * whose ReLU is on for some of the four images and off for others. Every other unit on the
 * way sees one corner only, and any function of one binary pixel is affine in it; so with
 * no switching unit the output corner's logit is affine in (a, b), which cannot separate
 * XNOR (at most 3 of the 4 images right, and the best affine fit under cross-entropy is the
 * constant z = 0, p = ½, loss 8·ln 2/100 = 0.0554518 over the corners).
 */
function switchingUnits (ws: Workspace): { topLeft: number, bottomRight: number } {
  const switching = (pre: Float64Array, pixel: number): number => {
    let count = 0
    for (let c = 0; c < C; c++) {
      let on = 0
      for (let n = 0; n < IMAGES; n++) if (pre[c * COLUMNS + n * PIXELS + pixel] > 0) on++
      if (on > 0 && on < IMAGES) count++
    }
    return count
  }
  const meeting = switching(ws.pre[1], 2 * SIDE + 2)
  return { topLeft: meeting + switching(ws.pre[2], SIDE + 1), bottomRight: meeting + switching(ws.pre[2], 3 * SIDE + 3) }
}

// ------------------------------------------------------------------ training

export interface CornerTrainingOptions {
  /** add h₁ to conv₃'s output before its ReLU (see the module comment) */
  residual: boolean
  /** weights and biases at step 0, PyTorch's layout */
  initialWeights: CornerNetworkWeights<ArrayLike<number>>
  /** Adam steps, full batch */
  epochs: number
  /** Adam's learning rate; CORNER_DEFAULT_LEARNING_RATE when absent */
  learningRate?: number
}

export interface CornerTraining {
  /** losses[k]: mean binary cross-entropy after k Adam steps, k = 0 … epochs */
  losses: Float64Array
  /** cornerAccuracy[k]: fraction of the 8 corner pixels right after k steps */
  cornerAccuracy: Float64Array
  /** ∂loss/∂θ at the initial weights (the first step's gradient) */
  initialGradient: CornerNetworkWeights
  /** θ after the last step */
  finalWeights: CornerNetworkWeights
  /** z after the last step, 4 × 25 (image-major, row-major pixels) */
  logits: Float64Array
  /** σ(z) after the last step, 4 × 25 */
  probabilities: Float64Array
  /** after the last step: the units where both corners meet that switch across the images, of 32 per output corner */
  switchingUnits: { topLeft: number, bottomRight: number }
}

/**
 * Full-batch Adam on the four examples from explicit initial weights, exactly PyTorch's
 * update: m ← β₁m + (1 − β₁)g, v ← β₂v + (1 − β₂)g², θ ← θ − (lr/(1 − β₁ᵗ))·m/(√v/√(1 − β₂ᵗ) + ε),
 * with β₁ᵗ, β₂ᵗ kept as running products. No limit on epochs here: callers bound them.
 * @throws {InvalidRequestError} when a tensor has the wrong length or a non-finite entry,
 *   epochs is not a non-negative integer, or the learning rate is not in (0, 1]
 */
export function trainCorners (options: CornerTrainingOptions): CornerTraining {
  const { residual, epochs } = options
  const learningRate = options.learningRate ?? CORNER_DEFAULT_LEARNING_RATE
  if (!Number.isInteger(epochs) || epochs < 0) throw new InvalidRequestError(`epochs must be a non-negative integer, got ${epochs}`)
  checkLearningRate(learningRate)
  const parameters = flatten(options.initialWeights)
  const ws = workspace(residual)
  const gradient = new Float64Array(CORNER_PARAMETER_COUNT)
  const firstMoment = new Float64Array(CORNER_PARAMETER_COUNT)
  const secondMoment = new Float64Array(CORNER_PARAMETER_COUNT)
  const losses = new Float64Array(epochs + 1)
  const cornerAccuracy = new Float64Array(epochs + 1)
  let initialGradient: Float64Array | null = null
  const { beta1, beta2, epsilon } = ADAM
  let beta1Power = 1
  let beta2Power = 1
  for (let step = 0; step <= epochs; step++) {
    losses[step] = forward(ws, parameters)
    cornerAccuracy[step] = cornersCorrect(ws.pre[3], ws.targets) / (IMAGES * CORNER_PIXELS.length)
    if (step === epochs) break
    backward(ws, parameters, gradient)
    if (step === 0) initialGradient = gradient.slice()
    beta1Power *= beta1
    beta2Power *= beta2
    const stepSize = learningRate / (1 - beta1Power)
    const correction2 = Math.sqrt(1 - beta2Power)
    for (let i = 0; i < CORNER_PARAMETER_COUNT; i++) {
      const g = gradient[i]
      const m = beta1 * firstMoment[i] + (1 - beta1) * g
      const v = beta2 * secondMoment[i] + (1 - beta2) * g * g
      firstMoment[i] = m
      secondMoment[i] = v
      parameters[i] += (-stepSize * m) / (Math.sqrt(v) / correction2 + epsilon)
    }
  }
  if (initialGradient === null) {
    // zero epochs: the gradient at the initial weights is still reported
    backward(ws, parameters, gradient)
    initialGradient = gradient.slice()
  }
  const logits = ws.pre[3].slice()
  return {
    losses,
    cornerAccuracy,
    initialGradient: unflatten(initialGradient),
    finalWeights: unflatten(parameters),
    logits,
    probabilities: logits.map(sigmoid),
    switchingUnits: switchingUnits(ws)
  }
}

function checkLearningRate (learningRate: number): void {
  if (!(learningRate > 0 && learningRate <= 1)) {
    throw new InvalidRequestError(`learningRate must be in (0, 1], got ${learningRate}`)
  }
}

// ------------------------------------------------------------------ the experiment

export interface CornerExperimentOptions {
  /** with the ResNet-style skip h₁ → conv₃ */
  residual: boolean
  /** seed of the initial weights, an integer in [0, 2³² − 1] */
  seed: number
  /** Adam steps, in [1, maxEpochs] */
  epochs: number
  /** CORNER_DEFAULT_LEARNING_RATE (0.001) when absent; in (0, 1] */
  learningRate?: number
}

export interface CornerPathStep {
  /** 0 for the input image, 1–4 for the output of conv₁ … conv₄ */
  layer: number
  /** [row, column] on that layer's 5×5 map */
  position: [number, number]
  /** the kernel tap [ki, kj] (0–2) through which this position reads the previous one; absent for the input */
  kernelTap?: [number, number]
}

export interface CornerCoverage {
  /** [row, column] of the output corner */
  outputCorner: [number, number]
  /** [row, column] of the input corner diagonally opposite */
  oppositeInputCorner: [number, number]
  /** whether that input pixel is inside the output corner's receptive field */
  covered: boolean
  /** rows and columns of the receptive field on the unpadded input, [first, last] (clipped to the image) */
  rows: [number, number]
  columns: [number, number]
  /** with a residual connection: whether the short path (conv₁ → skip → conv₄, 5×5) covers it too; null without one */
  coveredBySkipPath: boolean | null
  /** the chain of positions from the input corner to the output corner: the only one, as the offset equals the depth */
  path: CornerPathStep[]
}

export interface CornerReceptiveField {
  /** 1 + 4·(3 − 1) = 9: the receptive field is 9×9, offsets up to ±4 */
  size: number
  /** the receptive field through the skip path (conv₁, conv₄): 5; null without a residual connection */
  skipPathSize: number | null
  covers: CornerCoverage[]
}

export interface CornerExperimentResult {
  residual: boolean
  seed: number
  epochs: number
  learningRate: number
  /** after the last step; a pixel is predicted white when σ(z) > 0.5 */
  accuracy: {
    /** of the 8 judged corner pixels */
    corners: number
    /** of all 100 pixels */
    pixels: number
  }
  /** every corner pixel right after the last step: the question's "100 %" */
  perfect: boolean
  /** first step count after which every corner pixel was right, or null if never */
  firstPerfectEpoch: number | null
  /** loss before any step */
  initialLoss: number
  /** loss after epoch lossCurveEpochs[i] (every epoch, or ≤ 200 evenly spaced ones, first and last included) */
  lossCurve: number[]
  lossCurveEpochs: number[]
  /** loss after the last step (= the last entry of lossCurve) */
  finalLoss: number
  /** σ(z) after the last step: 4 images × 5 × 5 */
  predictions: number[][][]
  /** the targets, 4 × 5 × 5, in the dataset's order */
  targets: number[][][]
  receptiveField: CornerReceptiveField
  /**
   * After the last step, for each output corner: of the 32 units where both input corners
   * meet on its way (conv₂ at (2, 2), conv₃ at (1, 1) or (3, 3)), how many switch ReLU state
   * across the four images. 0 means the corner's logit is affine in (a, b) and cannot be
   * 100 % right: the network is then stuck at p = ½ (see the module comment).
   */
  switchingUnits: { topLeft: number, bottomRight: number }
}

/**
 * Floating-point operations of a run, roughly: per epoch one forward pass (Σ 2·in·9·out·100
 * for the four layers) and, except after the last step, a backward pass twice that (weight
 * and input gradients) plus Adam's ~12 flops per parameter. About 3 Mflop per epoch.
 * @example cornerExperimentCost(1000) // 2969119200
 */
export function cornerExperimentCost (epochs: number): number {
  let forwardFlops = 0
  for (const [inputs, outputs] of LAYERS) forwardFlops += 2 * inputs * TAPS * outputs * COLUMNS
  const backwardFlops = 2 * forwardFlops - 2 * 1 * TAPS * C * COLUMNS // no input gradient for conv₁
  const adamFlops = 12 * CORNER_PARAMETER_COUNT
  return (epochs + 1) * forwardFlops + epochs * (backwardFlops + adamFlops)
}

/**
 * Trains the question 5.4 network (plain or residual) from PyTorch-style random weights of
 * `seed` and reports whether it reaches 100 % on the corners, the loss curve, the final
 * predictions and the receptive-field argument. Same options ⇒ bit-identical result.
 * @param maxEpochs - the limit on epochs (CORNER_MAX_EPOCHS by default)
 * @throws {LimitExceededError} when epochs is outside [1, maxEpochs]
 * @throws {InvalidRequestError} when epochs or seed is not an integer, seed is outside
 *   [0, 2³² − 1], or learningRate is outside (0, 1]
 * @example runCornerExperiment({ residual: false, seed: 0, epochs: 1 }).receptiveField.size // 9
 */
export function runCornerExperiment (options: CornerExperimentOptions, maxEpochs = CORNER_MAX_EPOCHS): CornerExperimentResult {
  const { residual, seed, epochs } = options
  const learningRate = options.learningRate ?? CORNER_DEFAULT_LEARNING_RATE
  checkEpochs(epochs, maxEpochs)
  checkSeed(seed)
  checkLearningRate(learningRate)
  const training = trainCorners({ residual, initialWeights: initialCornerWeights(seed), epochs, learningRate })
  const { losses, cornerAccuracy, logits, probabilities } = training
  const { targets } = datasetColumns()
  let pixelsCorrect = 0
  for (let j = 0; j < COLUMNS; j++) if ((logits[j] > 0 ? 1 : 0) === targets[j]) pixelsCorrect++
  const corners = cornerAccuracy[epochs]
  let firstPerfectEpoch: number | null = null
  for (let k = 1; k <= epochs && firstPerfectEpoch === null; k++) if (cornerAccuracy[k] === 1) firstPerfectEpoch = k
  const lossCurveEpochs = curveEpochs(epochs)
  return {
    residual,
    seed,
    epochs,
    learningRate,
    accuracy: { corners, pixels: pixelsCorrect / COLUMNS },
    perfect: corners === 1,
    firstPerfectEpoch,
    initialLoss: losses[0],
    lossCurve: lossCurveEpochs.map((epoch) => losses[epoch]),
    lossCurveEpochs,
    finalLoss: losses[epochs],
    predictions: images(probabilities),
    targets: images(targets),
    receptiveField: cornerReceptiveField(residual),
    switchingUnits: training.switchingUnits
  }
}

/** Every epoch 1 … E, or CORNER_LOSS_CURVE_POINTS of them evenly spaced, 1 and E included. */
function curveEpochs (epochs: number): number[] {
  const points = Math.min(epochs, CORNER_LOSS_CURVE_POINTS)
  if (points === epochs) return Array.from({ length: epochs }, (_, i) => i + 1)
  return Array.from({ length: points }, (_, i) => 1 + Math.floor(i * (epochs - 1) / (points - 1)))
}

/** 4 × 5 × 5 nested arrays of a 100-entry row. */
function images (values: Float64Array): number[][][] {
  return Array.from({ length: IMAGES }, (_, n) =>
    Array.from({ length: SIDE }, (_, r) => Array.from(values.subarray(n * PIXELS + r * SIDE, n * PIXELS + (r + 1) * SIDE))))
}

/**
 * The receptive-field side of the answer: for each output corner, whether the opposite input
 * corner is inside its 9×9 receptive field, and the chain of positions linking them.
 * @example cornerReceptiveField(false).covers[0].covered // true
 */
export function cornerReceptiveField (residual: boolean): CornerReceptiveField {
  const depth = LAYERS.length
  const radius = depth // each 3×3 layer adds 1 on each side
  const skipRadius = 2 // conv₁ and conv₄ only
  const last = SIDE - 1
  const corners: Array<[[number, number], [number, number]]> = [[[0, 0], [last, last]], [[last, last], [0, 0]]]
  const covers = corners.map(([outputCorner, oppositeInputCorner]) => {
    const distance = Math.max(Math.abs(outputCorner[0] - oppositeInputCorner[0]), Math.abs(outputCorner[1] - oppositeInputCorner[1]))
    const covered = distance <= radius
    const clip = (centre: number): [number, number] => [Math.max(0, centre - radius), Math.min(last, centre + radius)]
    return {
      outputCorner,
      oppositeInputCorner,
      covered,
      rows: clip(outputCorner[0]),
      columns: clip(outputCorner[1]),
      coveredBySkipPath: residual ? distance <= skipRadius : null,
      path: diagonalPath(oppositeInputCorner, outputCorner, depth)
    }
  })
  return { size: 2 * radius + 1, skipPathSize: residual ? 2 * skipRadius + 1 : null, covers }
}

/** Positions from `from` (input) to `to` (output), moving at most one pixel per layer toward it. */
function diagonalPath (from: [number, number], to: [number, number], depth: number): CornerPathStep[] {
  const toward = (a: number, b: number, k: number): number => a + Math.sign(b - a) * Math.min(k, Math.abs(b - a))
  const path: CornerPathStep[] = [{ layer: 0, position: from }]
  for (let k = 1; k <= depth; k++) {
    const previous = path[k - 1].position
    const position: [number, number] = [toward(from[0], to[0], k), toward(from[1], to[1], k)]
    path.push({ layer: k, position, kernelTap: [previous[0] - position[0] + 1, previous[1] - position[1] + 1] })
  }
  return path
}
