/**
 * One serial queue per key: jobs with the same key run one at a time in order, jobs with different
 * keys run independently. A failed job does not stop the ones after it. A key whose jobs have all
 * settled is forgotten, so an ever-changing set of keys does not grow the map.
 */
export class KeyedSerialQueue {
  private readonly tails = new Map<string, Promise<void>>()

  /** Keys with jobs queued or running. */
  get size (): number {
    return this.tails.size
  }

  busy (key: string): boolean {
    return this.tails.has(key)
  }

  run<T> (key: string, job: () => Promise<T>): Promise<T> {
    const result = (this.tails.get(key) ?? Promise.resolve()).then(job)
    const tail: Promise<void> = result.then(() => {}, () => {}).then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key)
    })
    this.tails.set(key, tail)
    return result
  }

  /** Resolves once the jobs queued so far under these keys (all keys by default) have settled. */
  async idle (keys?: Iterable<string>): Promise<void> {
    const pending = keys === undefined
      ? [...this.tails.values()]
      : [...keys].map((k) => this.tails.get(k)).filter((p) => p !== undefined)
    await Promise.all(pending)
  }
}
