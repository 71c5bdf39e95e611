/** Runs async jobs one at a time, in order; a failed job does not stop the ones after it. */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve()
  private pending = 0

  /** Jobs queued or running. */
  get size (): number {
    return this.pending
  }

  run<T> (job: () => Promise<T>): Promise<T> {
    this.pending++
    const result = this.tail.then(job, job)
    this.tail = result.then(() => { this.pending-- }, () => { this.pending-- })
    return result
  }

  /** Resolves once every job queued so far has settled; never rejects. */
  async idle (): Promise<void> {
    await this.tail
  }
}
