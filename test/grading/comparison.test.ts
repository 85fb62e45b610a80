import t from 'tap'
import { digitTolerance, isClose, resolveComparison, type ResolvedComparison } from '../../src/grading/comparison.js'
import { loadFixture } from '../helpers/fixtures.js'

interface Case { name: string, mode: 'relabs' | 'sigfig' | 'decdig', answer: number, expected: number, correct: boolean, rtol?: number, atol?: number, digits?: number, epsilon?: number }

t.test('PrairieLearn\'s documented example: 1.234 at 3 significant figures accepts (1.2289, 1.2391)', async (t) => {
  const sigfig3: ResolvedComparison = { mode: 'sigfig', digits: 3 }
  t.equal(digitTolerance(1.234, sigfig3), 0.0051)
  for (const inside of [1.2290, 1.234, 1.2390]) t.ok(isClose(inside, 1.234, sigfig3), `${inside} is accepted`)
  for (const outside of [1.2288, 1.2392, -1.234]) t.notOk(isClose(outside, 1.234, sigfig3), `${outside} is refused`)
})

t.test('the other rules on their edges', async (t) => {
  // decdig: 2 decimal digits of 3.14159 accept (3.13649, 3.14669).
  const decdig2 = resolveComparison({ mode: 'decdig' })
  t.strictSame(decdig2, { mode: 'decdig', digits: 2 }, 'PrairieLearn\'s default is 2 digits')
  t.ok(isClose(3.1466, 3.14159, decdig2))
  t.notOk(isClose(3.1467, 3.14159, decdig2))
  // sigfig of 0 uses n = digits − 1: 2 digits accept (−0.051, 0.051), with float64's rounding of 0.51·0.1.
  t.equal(digitTolerance(0, { mode: 'sigfig', digits: 2 }), 0.51 * 0.1)
  // 10^−4 correctly rounded, as Python's (V8's 10 ** -4 is one ulp low).
  t.equal(digitTolerance(0, { mode: 'decdig', digits: 4 }), 5.1000000000000006e-5)
  // relabs: NumPy's asymmetric isclose, the reference e scales rtol; the bound itself is accepted.
  const relabs = resolveComparison({ mode: 'relabs' })
  t.strictSame(relabs, { mode: 'relabs', rtol: 1e-2, atol: 1e-8 }, 'PrairieLearn\'s defaults')
  t.ok(isClose(101, 100, { mode: 'relabs', rtol: 0.01, atol: 0 }), '|101 − 100| = 1 ≤ 0.01·100')
  t.notOk(isClose(100, 101, { mode: 'relabs', rtol: 0.0099, atol: 0 }), 'reversed: 1 > 0.0099·101 = 0.9999')
  t.strictSame(resolveComparison({ mode: 'relabs', rtol: 0 }), { mode: 'relabs', rtol: 0, atol: 1e-8 })
  t.strictSame(resolveComparison({ mode: 'sigfig', digits: 5 }), { mode: 'sigfig', digits: 5 })
  t.strictSame(resolveComparison({ mode: 'exact' }), { mode: 'exact' })
  t.ok(isClose(284682, 284682, { mode: 'exact' }))
  t.notOk(isClose(284682.5, 284682, { mode: 'exact' }))
})

t.test('every case of the NumPy reference (scripts/reference/gen_comparison.py)', async (t) => {
  const { cases } = loadFixture<Case>('comparison')
  t.ok(cases.length > 3000)
  const wrong: string[] = []
  for (const c of cases) {
    const comparison = c.mode === 'relabs' ? { mode: c.mode, rtol: c.rtol!, atol: c.atol! } : { mode: c.mode, digits: c.digits! }
    if (c.epsilon !== undefined && digitTolerance(c.expected, comparison as ResolvedComparison & { mode: 'sigfig' }) !== c.epsilon) wrong.push(`${c.name}: epsilon`)
    if (isClose(c.answer, c.expected, comparison as ResolvedComparison) !== c.correct) wrong.push(`${c.name}: ${c.answer} vs ${c.expected}, NumPy says ${c.correct}`)
  }
  t.strictSame(wrong, [], 'every verdict and window agrees with NumPy')
  t.ok(cases.some((c) => c.correct) && cases.some((c) => !c.correct), 'both verdicts occur')
})
