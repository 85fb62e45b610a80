/**
 * Receptive field, jump and start of every layer of a CNN (questions 4.1, 5.1, 5.3), with
 * the conventions of Araujo, Norris & Sim, "Computing Receptive Fields of Convolutional
 * Neural Networks", Distill 2019: pixel centres sit at integer coordinates, the input has
 * r₀ = 1, j₀ = 1, start₀ = 0, and a layer with kernel k, stride s, padding p, dilation d
 * (effective kernel k' = d(k−1)+1) gives
 *
 *   r_l = r_{l−1} + (k' − 1)·j_{l−1}
 *   j_l = j_{l−1}·s
 *   start_l = start_{l−1} + ((k' − 1)/2 − p)·j_{l−1}
 *
 * start is the input coordinate of the centre of the top-left output feature's region
 * (negative: inside the padding; a half-integer for even kernels). Height and width are
 * computed separately. Output shapes follow PyTorch's layers (ceil_mode=False).
 */
import { ImpossibleInputError } from './errors.js'
import { isGlobalType, isWindowType, type LayerSpec, type LayerType } from './layers.js'
import { perDimension, type Pair } from './pair.js'
import { windowOutputSize } from './window.js'

/** A layer with every default applied. */
export interface ResolvedLayer {
  type: LayerType
  name: string
  kernel: Pair
  stride: Pair
  padding: Pair
  dilation: Pair
}

export interface LayerReceptiveField extends ResolvedLayer {
  receptiveField: Pair
  jump: Pair
  start: Pair
  /** [H, W] after this layer, when the input size is known */
  outputShape?: Pair
}

export interface Region { top: number, left: number, bottom: number, right: number }

/** Question 5.2: why the output has (or has not) the input's size, and when that size is wanted. */
export interface SameSize { reason: string, uses: string }

/**
 * When one wants an output the input's size: dense prediction, one answer per input pixel
 * (Long, Shelhamer & Darrell, "Fully Convolutional Networks", CVPR 2015; Ronneberger et al.,
 * "U-Net", MICCAI 2015; Zhang et al., "DnCNN", IEEE TIP 2017).
 */
export const SAME_SIZE_USES = 'an output the input\'s size is what dense prediction needs, one answer per input pixel aligned with it: semantic or instance segmentation (a class per pixel, as U-Net and FCNs give), denoising, deblurring and inpainting (a clean pixel per pixel, as DnCNN gives), depth, surface-normal or optical-flow estimation, image-to-image translation and colourization; and a residual connection y = x + f(x) needs f(x) the size of x'

export interface ReceptiveFieldResult {
  receptiveField: Pair
  jump: Pair
  start: Pair
  outputShape?: Pair
  sameAsInput?: boolean
  /** question 5.2, when the input size is known */
  sameSize?: SameSize
  layers: LayerReceptiveField[]
  /** input region of the output feature `pixel`, inclusive bounds, unclipped; `clipped` to the image */
  region?: Region & { clipped?: Region }
}

const ONE: Pair = [1, 1]
const ZERO: Pair = [0, 0]

/**
 * Applies the defaults: conv stride 1, pooling stride = kernel, padding 0, dilation 1;
 * elementwise layers have kernel 1; global pooling, flatten and FC see the whole current
 * map (a window of the map's size, output 1×1).
 * @param current - [H, W] before this layer, if the input size is known
 * @throws {ImpossibleInputError} for a missing kernel, settings a layer does not have, pooling
 *   padding over half the kernel (PyTorch's rule), or a global layer without an input size
 */
export function resolveLayer (spec: LayerSpec, current: Pair | undefined): ResolvedLayer {
  const { type, name } = spec
  if (isWindowType(type)) {
    const kernel = spec.kernel ?? fail(`${name}: a ${type} layer needs a kernel size`)
    const stride = spec.stride ?? (type === 'conv' ? ONE : kernel)
    const padding = spec.padding ?? ZERO
    const dilation = spec.dilation ?? ONE
    if (type === 'avgpool' && (dilation[0] !== 1 || dilation[1] !== 1)) fail(`${name}: average pooling has no dilation (torch.nn.AvgPool2d); got dilation [${dilation.join(', ')}]`)
    if (type !== 'conv') {
      for (const dim of [0, 1] as const) {
        if (padding[dim] * 2 > kernel[dim]) fail(`${name}: pooling padding must be at most half the kernel (PyTorch's rule); got padding ${padding[dim]} for kernel ${kernel[dim]}`)
      }
    }
    return { type, name, kernel, stride, padding, dilation }
  }
  const extra = (['kernel', 'stride', 'padding', 'dilation'] as const).find((key) => spec[key] !== undefined && spec[key].some((v) => v !== (key === 'padding' ? 0 : 1)))
  if (extra !== undefined) fail(`${name}: a ${type} layer has no ${extra} setting`)
  if (isGlobalType(type)) {
    if (current === undefined) fail(`${name}: a ${type} layer covers the whole feature map, so the receptive field needs the input size; give input: [H, W]`)
    return { type, name, kernel: current, stride: ONE, padding: ZERO, dilation: ONE }
  }
  return { type, name, kernel: ONE, stride: ONE, padding: ZERO, dilation: ONE }
}

function fail (message: string): never {
  throw new ImpossibleInputError(message)
}

/**
 * Distill's recurrences over the layers, with output shapes when `input` is given.
 * @param pixel - [i, j] of one output feature, for its input region
 * @throws {ImpossibleInputError} for an impossible layer, a feature map that vanishes, or a
 *   pixel outside the output
 * @example receptiveField([{ type: 'conv', name: 'c', kernel: [3, 3] }, { type: 'conv', name: 'c', kernel: [3, 3] }]).receptiveField // [5, 5]
 */
export function receptiveField (specs: readonly LayerSpec[], input?: Pair, pixel?: Pair): ReceptiveFieldResult {
  let field: Pair = [1, 1]
  let jump: Pair = [1, 1]
  let start: Pair = [0, 0]
  let shape = input
  const layers: LayerReceptiveField[] = []
  for (const spec of specs) {
    const layer = resolveLayer(spec, shape)
    const effectiveKernel = perDimension((dim) => layer.dilation[dim] * (layer.kernel[dim] - 1) + 1)
    field = perDimension((dim) => field[dim] + (effectiveKernel[dim] - 1) * jump[dim])
    start = perDimension((dim) => start[dim] + ((effectiveKernel[dim] - 1) / 2 - layer.padding[dim]) * jump[dim])
    jump = perDimension((dim) => jump[dim] * layer.stride[dim])
    const before = shape
    shape = before && perDimension((dim) => windowOutputSize({
      size: before[dim],
      kernel: layer.kernel[dim],
      stride: layer.stride[dim],
      padding: layer.padding[dim],
      dilation: layer.dilation[dim]
    }, `${layer.name} (${dim === 0 ? 'height' : 'width'})`))
    // Not `{ ...layer, … }`: object spread costs ~5 µs a layer on Node 20's V8 (a literal
    // 0.02 µs), which made this loop most of /receptive-field's CPU per request.
    const geometry: LayerReceptiveField = { type: layer.type, name: layer.name, kernel: layer.kernel, stride: layer.stride, padding: layer.padding, dilation: layer.dilation, receptiveField: field, jump, start }
    if (shape !== undefined) geometry.outputShape = shape
    layers.push(geometry)
  }
  if (![...field, ...jump].every(Number.isSafeInteger)) {
    fail(`the receptive field [${field.join(', ')}] or jump [${jump.join(', ')}] exceeds 2^53 − 1, beyond exact integers in JSON; give the input size so the map's shape bounds it`)
  }
  const result: ReceptiveFieldResult = { receptiveField: field, jump, start, layers }
  if (input !== undefined && shape !== undefined) {
    result.outputShape = shape
    result.sameAsInput = shape[0] === input[0] && shape[1] === input[1]
    result.sameSize = { reason: sameSizeReason(layers, input, result.sameAsInput), uses: SAME_SIZE_USES }
  }
  if (pixel !== undefined) result.region = featureRegion(result, pixel, input)
  return result
}

/** Why the output is, or is not, the input's size: the layers that change H × W, or that none does. */
function sameSizeReason (layers: readonly LayerReceptiveField[], input: Pair, same: boolean): string {
  const size = (pair: Pair): string => `${pair[0]} × ${pair[1]}`
  const changes: string[] = []
  let before = input
  for (const layer of layers) {
    const after = layer.outputShape!
    if (after[0] !== before[0] || after[1] !== before[1]) changes.push(`${layer.name} takes ${size(before)} to ${size(after)}`)
    before = after
  }
  if (changes.length === 0) return `every layer keeps ${size(input)}: stride 1 with padding (k′ − 1)/2 on each side ("same" padding)`
  const shown = changes.length > 3 ? [...changes.slice(0, 3), `${changes.length - 3} more`] : changes
  return same
    ? `${shown.join('; ')}: the changes cancel out, and the output is ${size(input)} again`
    : `${shown.join('; ')}: the output is ${size(before)}, not ${size(input)} (keeping the size needs stride 1 and padding (k′ − 1)/2 at every layer)`
}

/**
 * The input region of output feature `pixel`: centre start + i·jump, half-width (r − 1)/2.
 * @throws {ImpossibleInputError} when the pixel lies outside the known output shape
 */
function featureRegion (result: ReceptiveFieldResult, pixel: Pair, input: Pair | undefined): Region & { clipped?: Region } {
  const { outputShape, receptiveField: field, jump, start } = result
  if (outputShape !== undefined && (pixel[0] >= outputShape[0] || pixel[1] >= outputShape[1])) {
    fail(`pixel [${pixel.join(', ')}] is outside the output of shape [${outputShape.join(', ')}]; indices start at 0`)
  }
  const [top, left] = perDimension((dim) => start[dim] + pixel[dim] * jump[dim] - (field[dim] - 1) / 2)
  const [bottom, right] = perDimension((dim) => start[dim] + pixel[dim] * jump[dim] + (field[dim] - 1) / 2)
  const region: Region & { clipped?: Region } = { top, left, bottom, right }
  if (input !== undefined) {
    region.clipped = {
      top: Math.max(0, top),
      left: Math.max(0, left),
      bottom: Math.min(input[0] - 1, bottom),
      right: Math.min(input[1] - 1, right)
    }
  }
  return region
}

export interface VariableSize {
  /** whether one set of weights takes inputs of any size (at least minimumInput) */
  accepted: boolean
  /** the layer that decides it, and why */
  reason: string
  /** the smallest [H, W] every window fits in, when accepted (each side at most maxSide) */
  minimumInput?: Pair
}

/**
 * Whether a network accepts inputs of varying size (question 4.2): convolutions and
 * pooling slide the same weights over any map, but a fully connected layer has one weight per
 * input feature, so its input size must not depend on the image's. That holds when a global
 * pooling layer comes before the first FC (or Flatten) layer: it turns any C × H × W map into
 * C features (Lin, Chen & Yan, "Network in Network", 2014, §3.2). A network without FC layers
 * is fully convolutional (Long, Shelhamer & Darrell, 2015): its output map grows with the input.
 * @param maxSide - the largest side searched for minimumInput (MAX_DIMENSION)
 * @example variableSizeInput([{ type: 'conv', name: 'Conv-5x5', kernel: [5, 5] }, { type: 'globalavgpool', name: 'GAP' }, { type: 'fc', name: 'FC-1' }], 65536).minimumInput // [5, 5]
 */
export function variableSizeInput (specs: readonly LayerSpec[], maxSide: number): VariableSize {
  // Flatten has no weights: the first FC layer decides.
  const dense = specs.findIndex((spec) => spec.type === 'fc')
  const pooling = specs.findIndex((spec) => spec.type === 'globalavgpool' || spec.type === 'globalmaxpool')
  if (dense >= 0 && (pooling < 0 || pooling > dense)) {
    const layer = specs[dense]
    return {
      accepted: false,
      reason: dense === 0
        ? `${layer.name} comes first: a fully connected layer has one weight per input feature, so an MLP takes inputs of one size only`
        : `${layer.name} has one weight per input feature, here the C·H·W values of the map before it, so its weights fix H and W; a global pooling layer before it would free them`
    }
  }
  const reason = dense >= 0
    ? `${specs[pooling].name} turns any C × H × W map into C features before ${specs[dense].name}, so the weights do not depend on H and W`
    : pooling >= 0
      ? `no FC layer, and ${specs[pooling].name} reduces any map to 1 × 1: the same weights serve every input size`
      : 'no FC layer: every layer slides the same weights over any map (fully convolutional), and the output grows with the input'
  // Backwards from a 1 × 1 output: a window layer gives out ≥ m exactly when its input is at
  // least (m − 1)·s + d(k − 1) + 1 − 2p (PyTorch's floor((n + 2p − d(k − 1) − 1)/s) + 1 ≥ m);
  // a global layer outputs 1 × 1 for any input, so nothing after it may need more.
  let need: Pair | undefined = [1, 1]
  for (let i = specs.length - 1; i >= 0 && need !== undefined; i--) {
    const spec = specs[i]
    if (isGlobalType(spec.type)) {
      if (need[0] > 1 || need[1] > 1) need = undefined
    } else if (isWindowType(spec.type)) {
      const layer = resolveLayer(spec, undefined)
      const after: Pair = need
      need = perDimension((dim) => Math.max(1, (after[dim] - 1) * layer.stride[dim] + layer.dilation[dim] * (layer.kernel[dim] - 1) + 1 - 2 * layer.padding[dim]))
    }
  }
  if (need === undefined || need[0] > maxSide || need[1] > maxSide) return { accepted: true, reason: `${reason}; but no input up to ${maxSide} × ${maxSide} fits every window` }
  return { accepted: true, reason, minimumInput: need }
}
