import { useState } from 'preact/hooks';
import { html } from '../html.ts';
import { login } from '../api.ts';
import { setLocale, setState, startSession, useStore } from '../store.ts';
import { LOCALES, t, type Locale, type MessageKey } from '../i18n.ts';
import { unlockAudio } from '../beep.ts';

export function LoginView() {
  const s = useStore();
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    unlockAudio();
    try {
      const user = await login(name, password);
      setState({ user });
      void startSession();
    } catch (err) { setError((err as Error).message); }
  };
  return html`<main class="login">
    <form onSubmit=${submit} aria-labelledby="login-title">
      <h1 id="login-title">Vigil</h1>
      <p class="hint">${t('ui.login.title')}</p>
      <label>${t('ui.language')} <select id="login-lang" value=${s.locale} onChange=${(e: Event) => setLocale((e.target as HTMLSelectElement).value as Locale)}>
        ${LOCALES.map((l) => html`<option value=${l}>${t(`ui.lang.${l}` as MessageKey)}</option>`)}</select></label>
      <label>${t('ui.login.name')} <input id="login-name" name="name" autocomplete="username" value=${name} onInput=${(e: Event) => setName((e.target as HTMLInputElement).value)} required autofocus /></label>
      <label>${t('ui.login.password')} <input id="login-password" name="password" type="password" autocomplete="current-password" value=${password} onInput=${(e: Event) => setPassword((e.target as HTMLInputElement).value)} required /></label>
      ${error ? html`<p class="error" role="alert">${error}</p>` : null}
      <button class="btn primary" type="submit">${t('ui.login.submit')}</button>
    </form>
  </main>`;
}
