/**
 * Output capture with a size cap that keeps the head and the tail.
 *
 * @internal
 */

/** Keeps the first `cap/2` and the last `cap/2` bytes of a stream and counts what was dropped. */
export class HeadTail {
  private readonly headCap: number
  private readonly tailCap: number
  private head: Buffer = Buffer.alloc(0)
  private tailChunks: Array<Buffer> = []
  private tailBytes = 0
  total = 0

  constructor(cap: number) {
    const safe = Math.max(0, Math.floor(cap))
    this.headCap = Math.ceil(safe / 2)
    this.tailCap = safe - this.headCap
  }

  push(chunk: Buffer): void {
    this.total += chunk.byteLength
    let rest = chunk
    if (this.head.byteLength < this.headCap) {
      const take = Math.min(this.headCap - this.head.byteLength, rest.byteLength)
      this.head = Buffer.concat([this.head, rest.subarray(0, take)])
      rest = rest.subarray(take)
    }
    if (rest.byteLength === 0 || this.tailCap === 0) return
    if (rest.byteLength >= this.tailCap) {
      this.tailChunks = [Buffer.from(rest.subarray(rest.byteLength - this.tailCap))]
      this.tailBytes = this.tailCap
      return
    }
    this.tailChunks.push(Buffer.from(rest))
    this.tailBytes += rest.byteLength
    while (this.tailBytes - this.tailChunks[0].byteLength >= this.tailCap) {
      this.tailBytes -= this.tailChunks[0].byteLength
      this.tailChunks.shift()
    }
  }

  get dropped(): number {
    return Math.max(0, this.total - this.head.byteLength - Math.min(this.tailBytes, this.tailCap))
  }

  toString(): string {
    let tail = Buffer.concat(this.tailChunks)
    if (tail.byteLength > this.tailCap) tail = tail.subarray(tail.byteLength - this.tailCap)
    const dropped = this.dropped
    if (dropped === 0) return this.head.toString("utf8") + tail.toString("utf8")
    return (
      this.head.toString("utf8") +
      `\n[ratchet: output capped — ${dropped} bytes dropped from the middle (${this.total} bytes in all); head and tail kept]\n` +
      tail.toString("utf8")
    )
  }
}
