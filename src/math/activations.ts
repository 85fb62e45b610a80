/**
 * Activation functions with their first and second derivatives, as the R-operator needs
 * them, and the error function behind the exact GELU (PyTorch's `approximate='none'`).
 *
 *   relu      max(0, x)                 φ′ = [x > 0] (0 at 0, as PyTorch), φ″ = 0
 *   tanh      tanh x                    φ′ = 1 − t²,  φ″ = −2t(1 − t²)
 *   sigmoid   σ(x) = 1/(1 + e⁻ˣ)        φ′ = σ(1 − σ), φ″ = σ(1 − σ)(1 − 2σ)
 *   softplus  log(1 + eˣ)               φ′ = σ,        φ″ = σ(1 − σ)
 *   gelu      x·Φ(x)                    φ′ = Φ + xϕ,   φ″ = ϕ(2 − x²)      (Hendrycks & Gimpel 2016)
 *   swish     x·σ(x)                    φ′ = σ + xσ(1 − σ), φ″ = σ(1 − σ)(2 + x(1 − 2σ))  (Ramachandran et al. 2017)
 *
 * with Φ the standard normal CDF and ϕ its density.
 */
import { twoProduct } from './double-double.js'

export const ACTIVATIONS = ['relu', 'tanh', 'sigmoid', 'softplus', 'gelu', 'swish'] as const
export type Activation = typeof ACTIVATIONS[number]

/** σ(t) without overflow for large |t|. */
export function sigmoid (t: number): number {
  if (t >= 0) return 1 / (1 + Math.exp(-t))
  const e = Math.exp(t)
  return e / (1 + e)
}

/** log(1 + eᵗ) without overflow: t + log1p(e⁻ᵗ) for t > 0. */
export function softplus (t: number): number {
  return t > 0 ? t + Math.log1p(Math.exp(-t)) : Math.log1p(Math.exp(t))
}

const TWO_OVER_SQRT_PI = 1.1283791670955126
const ONE_OVER_SQRT_PI = 0.5641895835477563

/**
 * erf(x) for |x| ≤ 2 by the positive series erf(x) = (2/√π)e^{−x²} Σ (2x²)ⁿ x/(2n+1)!!
 * (Abramowitz & Stegun 7.1.6: no cancellation), 1 − erfc(x) beyond.
 * @example erf(0.5) // 0.5204998778130466
 */
export function erf (x: number): number {
  const magnitude = Math.abs(x)
  if (magnitude > 2) return Math.sign(x) * (1 - erfcPositive(magnitude))
  const twoXSquared = 2 * x * x
  let term = x
  let sum = x
  for (let n = 1; Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
    term *= twoXSquared / (2 * n + 1)
    sum += term
  }
  return TWO_OVER_SQRT_PI * Math.exp(-x * x) * sum
}

/**
 * erfc(x) = 1 − erf(x), relatively accurate in the tail: a continued fraction for x > 2
 * (A&S 7.1.14, evaluated by the modified Lentz method), 1 − erf(x) elsewhere.
 * @example erfc(5) // 1.5374597944280347e-12
 */
export function erfc (x: number): number {
  if (x > 2) return erfcPositive(x)
  return 1 - erf(x)
}

/**
 * e^{−x²·scale} with x² formed exactly (Dekker's product): exp's argument then carries no
 * rounding error, which would otherwise be amplified by x² (3.7e-14 relatively at x = 26).
 */
function expOfNegativeSquare (x: number, scale: number): number {
  const square = twoProduct(x, x)
  return Math.exp(-square.hi * scale) * (1 - square.lo * scale)
}

/** 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))) · 1/√π = e^{x²}·erfc(x), for x > 2. */
function scaledErfcPositive (x: number): number {
  // Modified Lentz; every partial numerator k/2 and denominator x is positive, so c and d
  // never vanish and no tiny-value guard is needed.
  let f = x
  let c = x
  let d = 0
  for (let k = 1; k < 500; k++) {
    const a = k / 2
    d = 1 / (x + a * d)
    c = x + a / c
    const delta = c * d
    f *= delta
    if (Math.abs(delta - 1) < 1e-16) break
  }
  return ONE_OVER_SQRT_PI / f
}

/** erfc(x) = e^{−x²}·(continued fraction), x > 2. */
function erfcPositive (x: number): number {
  if (x > 27.3) return 0 // below the smallest subnormal
  return scaledErfcPositive(x) * expOfNegativeSquare(x, 1)
}

/**
 * Standard normal CDF Φ(t) = erfc(−t/√2)/2, relatively accurate in both tails: for
 * t < −2√2 as ½·e^{−t²/2}·(scaled erfc at −t/√2), with t² exact.
 */
export function normalCdf (t: number): number {
  if (t >= 0) return (1 + erf(t * Math.SQRT1_2)) / 2
  const x = -t * Math.SQRT1_2
  if (x <= 2) return erfc(x) / 2
  if (x > 27.3) return 0
  return scaledErfcPositive(x) * expOfNegativeSquare(t, 0.5) / 2
}

/** Standard normal density ϕ(t) = e^{−t²/2}/√(2π). */
export function normalPdf (t: number): number {
  return expOfNegativeSquare(t, 0.5) * 0.3989422804014327
}

/**
 * Writes φ(z), φ′(z), φ″(z) for every entry of z.
 */
export function activate (activation: Activation, z: Float64Array, value: Float64Array, first: Float64Array, second: Float64Array): void {
  for (let i = 0; i < z.length; i++) {
    const x = z[i]
    switch (activation) {
      case 'relu':
        value[i] = x > 0 ? x : 0
        first[i] = x > 0 ? 1 : 0
        second[i] = 0
        break
      case 'tanh': {
        const t = Math.tanh(x)
        value[i] = t
        first[i] = 1 - t * t
        second[i] = -2 * t * (1 - t * t)
        break
      }
      case 'sigmoid': {
        const s = sigmoid(x)
        value[i] = s
        first[i] = s * (1 - s)
        second[i] = s * (1 - s) * (1 - 2 * s)
        break
      }
      case 'softplus': {
        const s = sigmoid(x)
        value[i] = softplus(x)
        first[i] = s
        second[i] = s * (1 - s)
        break
      }
      case 'gelu': {
        const cdf = normalCdf(x)
        const pdf = normalPdf(x)
        value[i] = x * cdf
        first[i] = cdf + x * pdf
        second[i] = pdf * (2 - x * x)
        break
      }
      case 'swish': {
        const s = sigmoid(x)
        value[i] = x * s
        first[i] = s + x * s * (1 - s)
        second[i] = s * (1 - s) * (2 + x * (1 - 2 * s))
        break
      }
    }
  }
}
