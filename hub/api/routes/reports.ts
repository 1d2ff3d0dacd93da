import type { Hono } from 'hono';
import { can, type HubEnv } from '../auth.ts';
import type { ApiUser, HubDeps } from '../deps.ts';
import { assertSite } from '../site-scope.ts';
import { readJson } from '../validate.ts';
import { opsOf } from '../ops-of.ts';
import { iso } from '../views.ts';
import { ValidationError } from '../../../common/errors.ts';
import { localName } from '../../../common/locale.ts';
import { NotFoundError } from '../../store/not-found.ts';
import { REPORT_KINDS, type ReportKind } from '../../reports/deadlines.ts';
import { renderReportHtml } from '../../reports/report-print.ts';

function kindParam(value: string): ReportKind {
  if (!REPORT_KINDS.includes(value as ReportKind)) throw new ValidationError('kind', `must be one of ${REPORT_KINDS.join(', ')}`);
  return value as ReportKind;
}

/** A printed page has nothing to run and nothing to load. */
const PRINT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

/** The plan's first (1 h) and written (2 h) reports of an incident; their clocks run from the plan's activation. */
export function registerReportRoutes(app: Hono<HubEnv>, deps: HubDeps): void {
  /** The incident, of a site this login may see (else it is "not found"). */
  const incident = async (id: string, user: ApiUser) => {
    const row = await deps.incidents.getRow(id);
    assertSite(user, row.site, 'incident', id);
    return row;
  };

  app.get('/api/incidents/:id/reports', can('reports.write'), async (c) => {
    const id = c.req.param('id');
    await incident(id, c.get('user'));
    const list = await opsOf(deps).reports.deadlines(id);
    return c.json({ incident: id, deadlines: list.map((d) => ({ ...d, dueAt: iso(d.dueAt), submittedAt: iso(d.submittedAt) })) });
  });

  app.get('/api/incidents/:id/reports/:kind/draft', can('reports.write'), async (c) => {
    const id = c.req.param('id');
    const kind = kindParam(c.req.param('kind'));
    await incident(id, c.get('user'));
    return c.json(await opsOf(deps).reports.draft(id, kind, c.get('locale')));
  });

  /** The report (submitted, else the draft) as a printable page, in `?lang=` or the request's language. */
  app.get('/api/incidents/:id/reports/:kind/print', can('reports.write'), async (c) => {
    const id = c.req.param('id');
    const kind = kindParam(c.req.param('kind'));
    const row = await incident(id, c.get('user'));
    const { reports } = opsOf(deps);
    const locale = c.get('locale');
    const draft = await reports.draft(id, kind, locale);
    const deadline = (await reports.deadlines(id)).find((d) => d.kind === kind);
    const site = deps.sites.find((s) => s.site.id === row.site);
    const html = renderReportHtml(draft, {
      id, kind: row.kind, severity: row.severity, status: row.status, siteName: site ? localName(site.site, locale) : row.site,
      planLevel: row.plan_level, planActivatedAt: row.plan_activated_at_ms === null ? null : Number(row.plan_activated_at_ms), planActivatedBy: row.plan_activated_by,
    }, deadline, locale, deps.clock.now());
    return c.html(html, 200, { 'content-security-policy': PRINT_CSP, 'cache-control': 'no-store' });
  });

  app.get('/api/incidents/:id/reports/:kind', can('reports.write'), async (c) => {
    const id = c.req.param('id');
    const kind = kindParam(c.req.param('kind'));
    await incident(id, c.get('user'));
    const r = await opsOf(deps).reports.submitted(id, kind);
    if (!r) throw new NotFoundError(`${kind} report of incident`, id);
    return c.json({ incident: id, kind, submittedAt: iso(r.submittedAt), submittedBy: r.submittedBy, body: r.body });
  });

  app.put('/api/incidents/:id/reports/:kind', can('reports.write'), async (c) => {
    const id = c.req.param('id');
    const kind = kindParam(c.req.param('kind'));
    await incident(id, c.get('user'));
    // The report service checks the body against the report kind's own schema.
    const d = await opsOf(deps).reports.submit(id, kind, await readJson(c), c.get('user').name);
    return c.json({ incident: id, deadline: { ...d, dueAt: iso(d.dueAt), submittedAt: iso(d.submittedAt) } });
  });
}
