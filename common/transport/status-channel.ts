/**
 * A typed status stream in the manner of nats.js `nc.status()`: every
 * subscriber gets its own async iterator; events are never blocked on a slow
 * reader (each reader's queue is bounded and keeps the newest events).
 */
export interface StatusChannel<T> {
  push(event: T): void;
  iterate(): AsyncIterableIterator<T>;
  close(): void;
}

export function createStatusChannel<T>(maxQueued = 1_000): StatusChannel<T> {
  const readers = new Set<{ queue: T[]; wake: (() => void) | null }>();
  let closed = false;
  return {
    push(event) {
      if (closed) return;
      for (const r of readers) {
        r.queue.push(event);
        if (r.queue.length > maxQueued) r.queue.shift();
        r.wake?.();
      }
    },
    close() {
      closed = true;
      for (const r of readers) r.wake?.();
    },
    iterate() {
      const reader = { queue: [] as T[], wake: null as (() => void) | null };
      readers.add(reader);
      const it: AsyncIterableIterator<T> = {
        async next() {
          for (;;) {
            if (reader.queue.length) return { value: reader.queue.shift()!, done: false };
            if (closed) { readers.delete(reader); return { value: undefined, done: true }; }
            await new Promise<void>((resolve) => { reader.wake = resolve; });
            reader.wake = null;
          }
        },
        async return() {
          readers.delete(reader);
          return { value: undefined, done: true };
        },
        [Symbol.asyncIterator]() { return it; },
      };
      return it;
    },
  };
}
