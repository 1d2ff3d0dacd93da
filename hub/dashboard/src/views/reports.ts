import { useEffect, useState } from 'preact/hooks';
import { html } from '../html.ts';
import { api, quietly } from '../api.ts';
import { countdown, formatClock } from '../logic.ts';

/** The emergency plan's deadlines, counted from the moment the incident opened (hub/reports/deadlines.ts). */
const KINDS = [
  { kind: 'first', title: 'First report (1 h)', dueMs: 60 * 60_000 },
  { kind: 'written', title: 'Written report (2 h)', dueMs: 2 * 60 * 60_000 },
] as const;

const WRITERS = new Set(['operator', 'commander', 'admin']);

/** The plan's headings (hub/reports/report-body.ts); `measures` are edited as "taken — effect" lines. */
const FIELDS: readonly [string, string, number][] = [
  ['situation', 'Time, place and situation', 3], ['whatHappened', 'What happened', 4], ['losses', 'Losses and damage', 2],
  ['cause', 'Cause', 2], ['trend', 'Trend', 2], ['measures', 'Measures taken — effect (one per line)', 3], ['nextSteps', 'Next steps', 2], ['other', 'Other', 2],
];

export function measuresToText(m: readonly { taken: string; effect?: string }[] = []): string {
  return m.map((x) => (x.effect ? `${x.taken} — ${x.effect}` : x.taken)).join('\n');
}
export function textToMeasures(t: string): { taken: string; effect: string }[] {
  return t.split('\n').map((l) => l.trim()).filter(Boolean).map((l) => { const [taken, ...rest] = l.split(/\s+[—-]\s+/); return { taken: taken!, effect: rest.join(' — ') }; });
}

function ReportForm({ incident, kind, title, dueMs, deadline, role, now, onSent }: { incident: any; kind: string; title: string; dueMs: number; deadline: any; role: string; now: number; onSent: () => void }) {
  const [body, setBody] = useState<any>(null);
  const [msg, setMsg] = useState<string | null>(null);
  const [open, setOpen] = useState(kind === 'first');
  useEffect(() => {
    let live = true;
    api<any>(`/api/incidents/${encodeURIComponent(incident.id)}/reports/${kind}/draft`).then(
      (d) => live && setBody({ ...d.body, measures: measuresToText(d.body?.measures) }),
      () => live && setBody({ situation: `${incident.title}; opened ${incident.openedAt}`, whatHappened: '', measures: '' }),
    );
    return () => { live = false; };
  }, [incident.id, kind]);

  const due = deadline?.dueAt ? Date.parse(deadline.dueAt) : Date.parse(incident.openedAt) + dueMs;
  const sent = deadline?.submittedAt ? Date.parse(deadline.submittedAt) : null;
  const c = countdown(due, now);
  const writable = WRITERS.has(role);
  const set = (k: string) => (e: Event) => setBody({ ...body, [k]: (e.target as HTMLTextAreaElement).value });
  const submit = async (e: Event) => {
    e.preventDefault();
    const num = (v: unknown) => (v === '' || v === null || v === undefined ? null : Number(v));
    const payload = { ...body, measures: textToMeasures(body.measures ?? ''), people: { involved: num(body.people?.involved), casualties: num(body.people?.casualties), notes: body.people?.notes ?? '' } };
    try {
      await api(`/api/incidents/${encodeURIComponent(incident.id)}/reports/${kind}`, { method: 'PUT', json: payload });
      setMsg('Submitted.');
      onSent();
    } catch (err) { setMsg((err as Error).message); }
  };
  const state = sent ? `✔ submitted ${formatClock(sent)}${sent > due ? ' (late)' : ''}` : c.overdue ? `⚠ ${c.text}` : c.text;
  return html`<form class=${'report' + (!sent && c.overdue ? ' overdue' : !sent && c.urgent ? ' urgent' : '')} data-report=${kind} onSubmit=${submit}>
    <h4><button type="button" class="linkish" aria-expanded=${open} onClick=${() => setOpen(!open)}>${open ? '▾' : '▸'} ${title}</button> <span class="deadline" role="timer">${state}</span></h4>
    ${open && body ? html`<div class="report-fields">
      ${FIELDS.map(([k, label, rows]) => html`<label>${label}<textarea name=${k} rows=${rows} value=${body[k] ?? ''} readOnly=${!writable} onInput=${set(k)}></textarea></label>`)}
      <div class="people">
        <label>People involved <input type="number" min="0" value=${body.people?.involved ?? ''} readOnly=${!writable} onInput=${(e: Event) => setBody({ ...body, people: { ...body.people, involved: (e.target as HTMLInputElement).value } })} /></label>
        <label>Casualties <input type="number" min="0" value=${body.people?.casualties ?? ''} readOnly=${!writable} onInput=${(e: Event) => setBody({ ...body, people: { ...body.people, casualties: (e.target as HTMLInputElement).value } })} /></label>
      </div>
      ${writable ? html`<button class="btn primary" type="submit">${sent ? 'Amend' : 'Submit'} ${kind} report</button>` : null}
      ${msg ? html`<span class="hint" role="status">${msg}</span>` : null}
    </div>` : null}
  </form>`;
}

export function ReportForms({ incident, role, now }: { incident: any; role: string; now: number }) {
  const [deadlines, setDeadlines] = useState<any[]>([]);
  const load = () => api<any>(`/api/incidents/${encodeURIComponent(incident.id)}/reports`).then((r) => setDeadlines(r.deadlines ?? []), quietly('report deadlines load'));
  useEffect(() => { void load(); }, [incident.id, incident.version]);
  if (!WRITERS.has(role)) return null;
  return html`<div class="reports"><h3>Reports</h3>${KINDS.map((k) => html`<${ReportForm} key=${k.kind} incident=${incident} kind=${k.kind} title=${k.title} dueMs=${k.dueMs} deadline=${deadlines.find((d) => d.kind === k.kind)} role=${role} now=${now} onSent=${load} />`)}</div>`;
}
