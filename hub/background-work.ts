/**
 * Work a service starts from an event or a timer and nobody awaits: each
 * piece is tracked until it settles, its failure reported (never lost), and
 * idle() lets a stop() or a test wait until all of it has settled.
 */
export interface BackgroundWork {
  track(work: Promise<unknown>): void;
  /** resolves once every piece tracked so far (and any it started) has settled */
  idle(): Promise<void>;
}

export function backgroundWork(onError: (err: unknown) => void): BackgroundWork {
  const pending = new Set<Promise<unknown>>();
  return {
    track(work) {
      const t = work.catch(onError).finally(() => pending.delete(t));
      pending.add(t);
    },
    async idle() {
      while (pending.size) await Promise.allSettled([...pending]);
    },
  };
}
