/**
 * Output size of a sliding window (convolution or pooling) along one dimension, PyTorch's
 * rule for Conv2d/MaxPool2d/AvgPool2d with ceil_mode=False:
 *   out = ⌊(in + 2p − d(k−1) − 1)/s⌋ + 1.
 */
import { ImpossibleInputError } from './errors.js'

export interface WindowAlongDimension {
  size: number
  kernel: number
  stride: number
  padding: number
  dilation: number
}

/**
 * @param where - names the layer and the dimension in the error message
 * @throws {ImpossibleInputError} when the dilated kernel is larger than the padded input
 * @example windowOutputSize({ size: 32, kernel: 3, stride: 1, padding: 0, dilation: 1 }, 'conv') // 30
 */
export function windowOutputSize ({ size, kernel, stride, padding, dilation }: WindowAlongDimension, where: string): number {
  const effectiveKernel = dilation * (kernel - 1) + 1
  if (size + 2 * padding < effectiveKernel) {
    throw new ImpossibleInputError(`${where}: kernel larger than the padded input: the dilated kernel spans d(k−1)+1 = ${dilation}·(${kernel}−1)+1 = ${effectiveKernel}, the padded input in + 2p = ${size} + 2·${padding} = ${size + 2 * padding}`)
  }
  return Math.floor((size + 2 * padding - effectiveKernel) / stride) + 1
}
