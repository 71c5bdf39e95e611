// Decimal places of prices and volumes, for SymbolInfo.pricescale/minmov/volume_precision.

/** Most decimals a price or volume is shown with; Binance steps are never finer than 1e-8. */
export const MAX_DECIMALS = 10

/**
 * The fewest decimal places that write `x` exactly, up to MAX_DECIMALS. Stored doubles carry
 * binary noise (0.1 + 0.2 = 0.30000000000000004), so "exactly" is to 1e-9 of the scaled value.
 */
export function decimalsOf (x: number): number {
  if (!Number.isFinite(x)) return 0
  for (let d = 0; d < MAX_DECIMALS; d++) {
    const scaled = Math.abs(x) * 10 ** d
    if (Math.abs(scaled - Math.round(scaled)) <= 1e-9 * Math.max(1, scaled)) return d
  }
  return MAX_DECIMALS
}

/** TradingView's price format from a tick size: the tick is minmov / pricescale, pricescale a power of 10. */
export function priceFormat (tick: number): { pricescale: number, minmov: number } {
  const d = decimalsOf(tick)
  const pricescale = 10 ** d
  return { pricescale, minmov: Math.max(1, Math.round(tick * pricescale)) }
}

/** Largest decimal count among the values (0 for none). */
export function maxDecimals (values: Iterable<number>): number {
  let d = 0
  for (const v of values) {
    d = Math.max(d, decimalsOf(v))
    if (d === MAX_DECIMALS) break
  }
  return d
}
