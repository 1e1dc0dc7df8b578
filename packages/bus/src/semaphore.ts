/** Counts free slots; `acquire` waits (FIFO) while none is free. */
export class Semaphore {
  private free: number;
  private readonly waiters: (() => void)[] = [];

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`semaphore size must be a positive integer, got ${size}`);
    this.free = size;
  }

  get inUse(): number {
    return this.size - this.free;
  }

  async acquire(): Promise<void> {
    if (this.free > 0) {
      this.free -= 1;
      return;
    }
    // The slot is handed over directly by release(), so a newcomer cannot overtake a waiter.
    await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.free = Math.min(this.size, this.free + 1);
  }
}
