const TRUE_WORDS = new Set(['1', 'true', 'yes', 'on'])
const FALSE_WORDS = new Set(['0', 'false', 'no', 'off'])

/** 1/0, true/false, yes/no, on/off in any case; undefined for anything else. */
export function parseBoolean (text: string): boolean | undefined {
  const t = text.trim().toLowerCase()
  if (TRUE_WORDS.has(t)) return true
  if (FALSE_WORDS.has(t)) return false
  return undefined
}
