import type { Locale } from '../../common/locale.ts';
import { translator } from '../i18n/catalogue.ts';
import { formatDateTime } from '../i18n/dates.ts';
import { kindLabel, planLevelLabel, severityLabel, statusLabel } from '../i18n/describe.ts';
import type { ReportDeadline, ReportDraft } from './report-service.ts';

const esc = (s: unknown) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const para = (s: string) => esc(s).replace(/\n/g, '<br>');

export interface PrintableIncident {
  id: string;
  kind: string;
  severity: string;
  status: string;
  siteName: string;
  planLevel: string | null;
  planActivatedAt: number | null;
  planActivatedBy: string | null;
}

/**
 * A report as a printable page in one language: the plan's headings in
 * order (time and place, what happened, people involved and casualties,
 * cause, trend, measures taken, next steps), times in the site's zone. Plain
 * HTML with its own print styles and no script.
 */
export function renderReportHtml(draft: ReportDraft, inc: PrintableIncident, deadline: ReportDeadline | undefined, locale: Locale, now: number): string {
  const t = translator(locale);
  const tz = draft.timezone;
  const when = (ms: number | null) => (ms === null ? t.t('report.none') : formatDateTime(ms, tz, locale));
  const b = draft.body;
  const kindTitle = t.t(draft.kind === 'first' ? 'report.first' : 'report.written');
  const section = (label: string, value: string) => `<section><h2>${esc(label)}</h2><p>${value || esc(t.t('report.none'))}</p></section>`;
  const measures = b.measures.length ? `<ol>${b.measures.map((m) => `<li>${esc(m.taken)}${m.effect ? ` — ${esc(m.effect)}` : ''}</li>`).join('')}</ol>` : '';
  const people = [
    `${esc(t.t('report.field.involved'))}: ${esc(b.people.involved ?? t.t('report.none'))}`,
    `${esc(t.t('report.field.casualties'))}: ${esc(b.people.casualties ?? t.t('report.none'))}`,
    ...(b.people.notes ? [`${esc(t.t('report.field.peopleNotes'))}: ${para(b.people.notes)}`] : []),
  ].join('<br>');
  const status = draft.submittedAt ? t.t('report.submittedBy', { time: when(Date.parse(draft.submittedAt)), by: draft.submittedBy ?? '' }) : t.t('report.notSubmitted');
  const plan = inc.planActivatedAt === null ? t.t('plan.alarmRaised') : `${t.t('plan.activated', { level: planLevelLabel(t, inc.planLevel) })} · ${when(inc.planActivatedAt)} · ${inc.planActivatedBy ?? ''}`;
  const due = deadline ? `${when(deadline.dueAt)}` : t.t('report.none');
  return `<!doctype html>
<html lang="${locale}">
<head><meta charset="utf-8"><title>${esc(t.t('report.title', { kind: kindTitle, id: inc.id }))}</title>
<style>
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "DejaVu Sans", sans-serif; margin: 2em; color: #000; line-height: 1.5; }
h1 { font-size: 1.4em; margin: 0 0 .3em; } h2 { font-size: 1em; margin: 1em 0 .2em; border-bottom: 1px solid #999; }
.meta { color: #333; font-size: .9em; } p { margin: .2em 0; }
@page { margin: 15mm; } @media print { body { margin: 0; } }
</style></head>
<body>
<h1>${esc(t.t('report.title', { kind: kindTitle, id: inc.id }))}</h1>
<p class="meta">${esc(inc.siteName)} · ${esc(kindLabel(t, inc.kind))} · ${esc(severityLabel(t, inc.severity))} · ${esc(statusLabel(t, inc.status))}</p>
<p class="meta">${esc(plan)}</p>
<p class="meta">${esc(kindTitle)}: ${esc(due)} · ${esc(status)}</p>
${section(t.t('report.field.situation'), para(b.situation))}
${section(t.t('report.field.whatHappened'), para(b.whatHappened))}
${section(t.t('report.field.people'), people)}
${b.losses ? section(t.t('report.field.losses'), para(b.losses)) : ''}
${section(t.t('report.field.cause'), para(b.cause))}
${section(t.t('report.field.trend'), para(b.trend))}
${section(t.t('report.field.measures'), measures)}
${section(t.t('report.field.nextSteps'), para(b.nextSteps))}
${b.other ? section(t.t('report.field.other'), para(b.other)) : ''}
<p class="meta">${esc(t.t('report.printed', { time: when(now), timezone: tz }))}</p>
</body></html>
`;
}
