import { html } from '../html.ts';
import { setState } from '../store.ts';
import { t, type MessageKey } from '../i18n.ts';
import { useEffect, useRef } from 'preact/hooks';

export const SHORTCUTS: readonly [string, MessageKey][] = [
  ['1', 'ui.help.feed'], ['2', 'ui.help.map'], ['3', 'ui.help.incidents'], ['4', 'ui.help.charts'], ['5', 'ui.help.units'], ['6', 'ui.help.replay'],
  ['/', 'ui.help.filter'], ['m', 'ui.help.sound'], ['w', 'ui.help.wall'], ['?', 'ui.help.help'], ['Esc', 'ui.help.close'],
  ['Tab / Shift+Tab', 'ui.help.tab'], ['Enter / Space', 'ui.help.enter'],
];

export function HelpOverlay() {
  const close = useRef<HTMLButtonElement>(null);
  useEffect(() => { close.current?.focus(); }, []);
  return html`<div class="overlay" role="dialog" aria-modal="true" aria-labelledby="help-title" onClick=${(e: Event) => { if (e.target === e.currentTarget) setState({ help: false }); }}>
    <div class="dialog">
      <h2 id="help-title">${t('ui.help.title')}</h2>
      <table class="table"><tbody>${SHORTCUTS.map(([k, what]) => html`<tr><td><kbd>${k}</kbd></td><td>${t(what)}</td></tr>`)}</tbody></table>
      <p>${t('ui.help.colours')}</p>
      <p>${t('ui.help.wallHint')}</p>
      <p>${t('ui.help.language')}</p>
      <button class="btn" ref=${close} onClick=${() => setState({ help: false })}>${t('ui.close')}</button>
    </div>
  </div>`;
}
