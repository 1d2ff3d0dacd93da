import { html } from '../html.ts';
import { setState } from '../store.ts';
import { useEffect, useRef } from 'preact/hooks';

export const SHORTCUTS: readonly [string, string][] = [
  ['1', 'Live alarms'], ['2', 'Site map'], ['3', 'Incidents'], ['4', 'Crowd charts'], ['5', 'Units'], ['6', 'Replay review (engineers)'],
  ['/', 'Focus the alarm filter'], ['m', 'Sound on or off'], ['w', 'Wall display mode on or off'], ['?', 'This help'], ['Esc', 'Close this help'],
  ['Tab / Shift+Tab', 'Move between controls'], ['Enter / Space', 'Activate a control'],
];

export function HelpOverlay() {
  const close = useRef<HTMLButtonElement>(null);
  useEffect(() => { close.current?.focus(); }, []);
  return html`<div class="overlay" role="dialog" aria-modal="true" aria-labelledby="help-title" onClick=${(e: Event) => { if (e.target === e.currentTarget) setState({ help: false }); }}>
    <div class="dialog">
      <h2 id="help-title">Keyboard shortcuts</h2>
      <table class="table"><tbody>${SHORTCUTS.map(([k, what]) => html`<tr><td><kbd>${k}</kbd></td><td>${what}</td></tr>`)}</tbody></table>
      <p>Colours always come with a text label or symbol: severity (ℹ info, ▲ warning, ⬣ critical), level of service letters A–F, camera status (✔ ✖ ❄ ⚠ ?), unit readiness (✔ ✖).</p>
      <p>Add <code>?wall=1</code> to the address for large type on a wall display.</p>
      <button class="btn" ref=${close} onClick=${() => setState({ help: false })}>Close</button>
    </div>
  </div>`;
}
