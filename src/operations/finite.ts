/**
 * The service's contract (openapi.yaml): results that are not finite in float64 are sent as null, and the response says
 * which field and why in `warnings`, so a response never contains a NaN.
 */
export class NonFiniteCollector {
  readonly warnings: string[] = []

  /** `value`, or null with a warning naming `field`. */
  number (value: number, field: string): number | null {
    if (Number.isFinite(value)) return value
    this.warnings.push(`${field} is ${describe(value)} in float64 and was sent as null`)
    return null
  }

  /** A plain array of the values with non-finite entries replaced by null; one warning for the field. */
  array (values: ArrayLike<number>, field: string): Array<number | null> {
    const result: Array<number | null> = new Array(values.length)
    let count = 0
    let example = 0
    for (let i = 0; i < values.length; i++) {
      const value = values[i]
      if (Number.isFinite(value)) {
        result[i] = value
      } else {
        if (count++ === 0) example = value
        result[i] = null
      }
    }
    if (count > 0) this.warnings.push(`${field}: ${count} entr${count === 1 ? 'y is' : 'ies are'} not finite in float64 (e.g. ${describe(example)}) and ${count === 1 ? 'was' : 'were'} sent as null`)
    return result
  }

  /** `{ warnings }` when there are any, to spread into a response. */
  result (): { warnings?: string[] } {
    return this.warnings.length > 0 ? { warnings: this.warnings } : {}
  }
}

function describe (value: number): string {
  return Number.isNaN(value) ? 'NaN (undefined, e.g. ∞/∞ or ∞ − ∞)' : value > 0 ? '+∞ (overflow)' : '−∞ (overflow, or log of an underflowed 0)'
}
