// Rolled-up volumes are summed as exact decimals of 8 places (see rollup-plan.ts) and turned into
// a double once. PostgreSQL's numeric-to-double cast is correctly rounded; DuckDB's is not always
// (above 2^53 it converts the integer and fractional parts separately and adds them), and both
// stores must answer the same bytes, so the sum comes back as text and is converted here the way
// DuckDB 1.5 converts a DECIMAL(38, 8).
import { VOLUME_DECIMALS } from '../rollup-plan.js'

const SCALE = 10n ** BigInt(VOLUME_DECIMALS)
const SCALE_DOUBLE = 10 ** VOLUME_DECIMALS
const EXACT_LIMIT = 2n ** 53n
const TWO_64 = 2n ** 64n

/** The unscaled integer of a decimal text of at most VOLUME_DECIMALS places ("12.5" → 1250000000n). */
function unscaled (text: string): bigint {
  const negative = text.startsWith('-')
  const digits = negative ? text.slice(1) : text
  const [whole, fraction = ''] = digits.split('.')
  const value = BigInt(whole!) * SCALE + BigInt(fraction.padEnd(VOLUME_DECIMALS, '0').slice(0, VOLUME_DECIMALS))
  return negative ? -value : value
}

/** A 128-bit integer to double as DuckDB does it: lower half plus upper half times 2^64. */
function wideIntegerAsDouble (value: bigint): number {
  const upper = value >> 64n
  const lower = value & (TWO_64 - 1n)
  if (upper === -1n) return -Number(TWO_64 - 1n - lower) - 1
  return Number(lower) + Number(upper) * 2 ** 64
}

/** A DECIMAL(38, 8) given as text, as the double DuckDB's cast gives. */
export function volumeDouble (text: string): number {
  const u = unscaled(text)
  if (u <= EXACT_LIMIT && u >= -EXACT_LIMIT) return Number(u) / SCALE_DOUBLE
  return wideIntegerAsDouble(u / SCALE) + Number(u % SCALE) / SCALE_DOUBLE
}
