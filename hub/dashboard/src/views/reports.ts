import { useEffect, useState } from 'preact/hooks';
import { html } from '../html.ts';
import { api, openPrintable, quietly } from '../api.ts';
import { clock, LOCALES, locale, t, tr, type MessageKey } from '../i18n.ts';
import { countdown, may } from '../logic.ts';

/** The emergency plan's reports: their clocks start at the plan's activation (hub/reports/deadlines.ts). */
const KINDS = [{ kind: 'first', title: 'report.first' }, { kind: 'written', title: 'report.written' }] as const;

/** The plan's headings (hub/reports/report-body.ts); `measures` are edited as "taken — effect" lines. */
const FIELDS: readonly [string, MessageKey, number][] = [
  ['situation', 'report.field.situation', 3], ['whatHappened', 'report.field.whatHappened', 4], ['losses', 'report.field.losses', 2],
  ['cause', 'report.field.cause', 2], ['trend', 'report.field.trend', 2], ['measures', 'ui.reports.measures', 3], ['nextSteps', 'report.field.nextSteps', 2], ['other', 'report.field.other', 2],
];

export function measuresToText(m: readonly { taken: string; effect?: string }[] = []): string {
  return m.map((x) => (x.effect ? `${x.taken} — ${x.effect}` : x.taken)).join('\n');
}
export function textToMeasures(text: string): { taken: string; effect: string }[] {
  return text.split('\n').map((l) => l.trim()).filter(Boolean).map((l) => { const [taken, ...rest] = l.split(/\s+[—-]\s+/); return { taken: taken!, effect: rest.join(' — ') }; });
}

function ReportForm({ incident, kind, title, deadline, now, tz, onSent }: { incident: any; kind: string; title: MessageKey; deadline: any; now: number; tz: string; onSent: () => void }) {
  const [body, setBody] = useState<any>(null);
  const [msg, setMsg] = useState<string | null>(null);
  const [open, setOpen] = useState(kind === 'first');
  const lang = locale();
  useEffect(() => {
    let live = true;
    api<any>(`/api/incidents/${encodeURIComponent(incident.id)}/reports/${kind}/draft`).then(
      (d) => live && setBody({ ...d.body, measures: measuresToText(d.body?.measures) }),
      (err) => live && setMsg((err as Error).message),
    );
    return () => { live = false; };
  }, [incident.id, kind, lang]);

  const due = deadline?.dueAt ? Date.parse(deadline.dueAt) : null;
  const sent = deadline?.submittedAt ? Date.parse(deadline.submittedAt) : null;
  const c = due === null ? null : countdown(tr(), due, now);
  const set = (k: string) => (e: Event) => setBody({ ...body, [k]: (e.target as HTMLTextAreaElement).value });
  const submit = async (e: Event) => {
    e.preventDefault();
    const num = (v: unknown) => (v === '' || v === null || v === undefined ? null : Number(v));
    const payload = { ...body, measures: textToMeasures(body.measures ?? ''), people: { involved: num(body.people?.involved), casualties: num(body.people?.casualties), notes: body.people?.notes ?? '' } };
    try {
      await api(`/api/incidents/${encodeURIComponent(incident.id)}/reports/${kind}`, { method: 'PUT', json: payload });
      setMsg(t('ui.reports.sent'));
      onSent();
    } catch (err) { setMsg((err as Error).message); }
  };
  const print = (l: string) => openPrintable(`/api/incidents/${encodeURIComponent(incident.id)}/reports/${kind}/print`, l).catch((err) => setMsg((err as Error).message));
  const state = sent ? `${t('ui.reports.submitted', { time: clock(sent, tz) })}${due !== null && sent > due ? ` ${t('ui.reports.late')}` : ''}` : c ? (c.overdue ? `⚠ ${c.text}` : c.text) : '';
  return html`<form class=${'report' + (!sent && c?.overdue ? ' overdue' : !sent && c?.urgent ? ' urgent' : '')} data-report=${kind} onSubmit=${submit}>
    <h4><button type="button" class="linkish" aria-expanded=${open} onClick=${() => setOpen(!open)}>${open ? '▾' : '▸'} ${t(title)}</button> <span class="deadline" role="timer">${state}</span></h4>
    ${open && body ? html`<div class="report-fields">
      ${FIELDS.map(([k, label, rows]) => html`<label>${t(label)}<textarea name=${k} rows=${rows} value=${body[k] ?? ''} onInput=${set(k)}></textarea></label>`)}
      <div class="people">
        <label>${t('report.field.involved')} <input type="number" min="0" value=${body.people?.involved ?? ''} onInput=${(e: Event) => setBody({ ...body, people: { ...body.people, involved: (e.target as HTMLInputElement).value } })} /></label>
        <label>${t('report.field.casualties')} <input type="number" min="0" value=${body.people?.casualties ?? ''} onInput=${(e: Event) => setBody({ ...body, people: { ...body.people, casualties: (e.target as HTMLInputElement).value } })} /></label>
      </div>
      ${deadline ? html`<button class="btn primary" type="submit">${sent ? t('ui.reports.amend') : t('ui.reports.submit')}</button>` : null}
      ${LOCALES.map((l) => html`<button class="btn" type="button" data-print=${l} onClick=${() => print(l)}>${l === lang ? t('ui.reports.print') : t('ui.reports.printIn', { lang: t(`ui.langName.${l}` as MessageKey) })}</button>`)}
      ${msg ? html`<span class="hint" role="status">${msg}</span>` : null}
    </div>` : null}
  </form>`;
}

export function ReportForms({ incident, role, now, tz }: { incident: any; role: string; now: number; tz: string }) {
  const [deadlines, setDeadlines] = useState<any[]>([]);
  const load = () => api<any>(`/api/incidents/${encodeURIComponent(incident.id)}/reports`).then((r) => setDeadlines(r.deadlines ?? []), quietly('report deadlines load'));
  useEffect(() => { if (may(role, 'reports.write')) void load(); }, [incident.id, incident.version]);
  if (!may(role, 'reports.write')) return null;
  const activated = incident.plan?.state === 'activated';
  return html`<div class="reports"><h3>${t('ui.reports.title')}</h3>
    ${activated ? null : html`<p class="hint" data-reports-waiting>${t('ui.reports.notActivated')}</p>`}
    ${KINDS.map((k) => html`<${ReportForm} key=${k.kind} incident=${incident} kind=${k.kind} title=${k.title} deadline=${deadlines.find((d) => d.kind === k.kind)} now=${now} tz=${tz} onSent=${load} />`)}</div>`;
}
