// A tiny argv parser shared by the orchestrator and the benchmarks: `--key value`, `--key=value`,
// bare `--flag` (true) and positionals. Unknown keys are kept, so the orchestrator can forward
// every knob to every benchmark and each one reads only its own.

export interface Args {
  positionals: string[]
  options: Map<string, string>
}

export function parseArgs (argv: readonly string[]): Args {
  const out: Args = { positionals: [], options: new Map() }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (!arg.startsWith('--') || arg === '--') {
      if (arg !== '--') out.positionals.push(arg)
      continue
    }
    const eq = arg.indexOf('=')
    if (eq !== -1) {
      out.options.set(arg.slice(2, eq), arg.slice(eq + 1))
      continue
    }
    const next = argv[i + 1]
    if (next !== undefined && !next.startsWith('--')) {
      out.options.set(arg.slice(2), next)
      i++
    } else {
      out.options.set(arg.slice(2), 'true')
    }
  }
  return out
}

export class Knobs {
  /** Every knob read, with the value used, for the results file. */
  readonly used: Record<string, number | string | boolean> = {}

  constructor (private readonly args: Args) {}

  static fromArgv (argv: readonly string[] = process.argv.slice(2)): Knobs {
    return new Knobs(parseArgs(argv))
  }

  number (name: string, fallback: number): number {
    const raw = this.args.options.get(name)
    const v = raw === undefined ? fallback : Number(raw)
    if (!Number.isFinite(v)) throw new Error(`--${name} must be a number, got "${raw}"`)
    this.used[name] = v
    return v
  }

  string (name: string, fallback: string): string {
    const v = this.args.options.get(name) ?? fallback
    this.used[name] = v
    return v
  }

  list (name: string, fallback: readonly string[]): string[] {
    const v = (this.args.options.get(name)?.split(',') ?? [...fallback]).map((s) => s.trim()).filter((s) => s !== '')
    this.used[name] = v.join(',')
    return v
  }

  numbers (name: string, fallback: readonly number[]): number[] {
    const v = this.list(name, fallback.map(String)).map(Number)
    if (v.some((n) => !Number.isFinite(n))) throw new Error(`--${name} must be a comma list of numbers`)
    return v
  }

  flag (name: string): boolean {
    const raw = this.args.options.get(name)
    const v = raw !== undefined && raw !== 'false' && raw !== '0'
    this.used[name] = v
    return v
  }
}
