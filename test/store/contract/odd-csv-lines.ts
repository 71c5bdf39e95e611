// Archive lines no Binance file holds but a hand-edited one might: numbers with whitespace,
// underscores, exponents, overflow and underflow, open times with decimals or padding. Both stores
// must read them as DuckDB's TRY_CAST does; the expected answers are DuckDB's.
import { MINUTE_MS } from '../../../src/domain/intervals.js'
import { T0 } from '../../helpers.js'

export function oddCsvLines (): string {
  const m = (n: number) => T0 + n * MINUTE_MS
  const odd = [' 1.5', '1.5 ', '+1.5', '1e2', '1E-2', '.5', '5.', 'inf', '-0', '0x10', '1_000', '', ' ', 'NaN', '1e400', '1e-400', '00012', '1.5\t', '1__0', '1e0_1', '1' + '0'.repeat(400), '0.' + '0'.repeat(400) + '1']
  const times = [`${m(200)} `, ` ${m(201)}`, `+${m(202)}`, `${m(203)}.0`, `${m(204) * 1000}`, `${m(205) * 1000 + 500}`, `0${m(206)}`, `${m(207)}e0`,
    '99999999999999999', '123456789012', `${m(208)}.4`, `${m(209) - 1}.5`, `${m(210)}\t`, `1_${String(m(211)).slice(1)}`]
  return [
    ...odd.map((v, i) => `${m(i)},${v},200,0.5,1.5,10,0,0,0,0,0,0`),
    ...odd.map((v, i) => `${m(100 + i)},1,200,0.5,1.5,${v},0,0,0,0,0,0`),
    ...times.map((v) => `${v},1,200,0.5,1.5,10,0,0,0,0,0,0`),
    `"${m(300)}",1,2,0.5,1.5,10`
  ].join('\n') + '\n'
}

/** What DuckDB's reader makes of the odd lines of the lenient-fields test (minute, open, volume). */
export const EXPECTED_ODD = {
  rows: 59,
  stored: 33,
  rejected: {
    'high is below open or close': 1,
    'low is above open or close': 4,
    'open is not a finite number': 8,
    'open time is not aligned to 1m': 2,
    'open time is not epoch milliseconds or microseconds': 3,
    'volume is not a finite number': 8
  }
}
export const EXPECTED_ODD_BARS = [[0, 1.5, 10], [1, 1.5, 10], [2, 1.5, 10], [3, 100, 10], [5, 0.5, 10], [6, 5, 10], [16, 12, 10], [17, 1.5, 10],
  [19, 10, 10], [100, 1, 1.5], [101, 1, 1.5], [102, 1, 1.5], [103, 1, 100], [104, 1, 0.01], [105, 1, 0.5], [106, 1, 5], [108, 1, 0],
  [110, 1, 1000], [115, 1, 0], [116, 1, 12], [117, 1, 1.5], [119, 1, 10], [121, 1, 0], [200, 1, 10], [203, 1, 10], [204, 1, 10],
  [205, 1, 10], [206, 1, 10], [207, 1, 10], [208, 1, 10], [209, 1, 10], [210, 1, 10], [211, 1, 10]]
