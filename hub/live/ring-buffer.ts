/**
 * A fixed-capacity buffer that overwrites its oldest entry: the live series
 * must never grow without bound, however long the hub runs.
 */
export class RingBuffer<T> {
  readonly capacity: number;
  #items: (T | undefined)[];
  #start = 0;
  #size = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`RingBuffer: capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
    this.#items = new Array(capacity);
  }

  get size(): number { return this.#size; }

  push(item: T): void {
    const at = (this.#start + this.#size) % this.capacity;
    this.#items[at] = item;
    if (this.#size < this.capacity) this.#size++;
    else this.#start = (this.#start + 1) % this.capacity;
  }

  /** Drops entries from the oldest end while `stale` holds. */
  dropWhile(stale: (item: T) => boolean): void {
    while (this.#size > 0 && stale(this.#items[this.#start] as T)) {
      this.#items[this.#start] = undefined;
      this.#start = (this.#start + 1) % this.capacity;
      this.#size--;
    }
  }

  last(): T | undefined {
    return this.#size ? this.#items[(this.#start + this.#size - 1) % this.capacity] : undefined;
  }

  toArray(): T[] {
    const out: T[] = [];
    for (let i = 0; i < this.#size; i++) out.push(this.#items[(this.#start + i) % this.capacity] as T);
    return out;
  }
}
