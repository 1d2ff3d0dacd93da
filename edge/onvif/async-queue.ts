/**
 * A bounded push queue read as an async iterator, for typed status and alarm
 * streams (`for await (const s of watcher.status())`). When nobody reads,
 * the oldest items are dropped: a status stream must never hold memory.
 */
export class AsyncQueue<T> implements AsyncIterable<T> {
  #items: T[] = [];
  #waiters: ((r: IteratorResult<T>) => void)[] = [];
  #closed = false;
  readonly #max: number;
  constructor(max = 1000) { this.#max = max; }

  push(item: T): void {
    if (this.#closed) return;
    const w = this.#waiters.shift();
    if (w) { w({ value: item, done: false }); return; }
    this.#items.push(item);
    if (this.#items.length > this.#max) this.#items.shift();
  }

  close(): void {
    this.#closed = true;
    for (const w of this.#waiters.splice(0)) w({ value: undefined as never, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        const item = this.#items.shift();
        if (item !== undefined) return Promise.resolve({ value: item, done: false });
        if (this.#closed) return Promise.resolve({ value: undefined as never, done: true });
        return new Promise((resolve) => this.#waiters.push(resolve));
      },
      return: () => { this.close(); return Promise.resolve({ value: undefined as never, done: true }); },
    };
  }
}
