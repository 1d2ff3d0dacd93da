/**
 * A short two-tone alert made with WebAudio: no audio file to ship or fetch.
 * Browsers only let a page make sound after a user gesture; the login click is one.
 */
let ctx: AudioContext | null = null;
export let beepCount = 0;

export function unlockAudio(): void {
  try {
    ctx ??= new AudioContext();
    void ctx.resume();
  } catch { /* no audio device: the visual alert remains */ }
}

export function beep(): void {
  beepCount++;
  (globalThis as any).__vigilBeeps = beepCount;
  try {
    ctx ??= new AudioContext();
    const t0 = ctx.currentTime;
    for (const [i, freq] of [880, 660, 880].entries()) {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = 'square';
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, t0 + i * 0.18);
      gain.gain.exponentialRampToValueAtTime(0.2, t0 + i * 0.18 + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t0 + i * 0.18 + 0.16);
      osc.connect(gain).connect(ctx.destination);
      osc.start(t0 + i * 0.18);
      osc.stop(t0 + i * 0.18 + 0.17);
    }
  } catch { /* as above */ }
}
