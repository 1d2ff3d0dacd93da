import type { Hono } from 'hono';
import type { HubEnv } from '../auth.ts';
import { route } from '../route-spec.ts';
import { z } from 'zod';
import { errorBody, idParams, reportDeadline } from '../response-schemas.ts';
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

  route(app, { method: 'get', path: '/api/incidents/:id/reports', access: { permission: 'reports.write' }, params: idParams, summary: 'The incident\'s report deadlines (first report 1 h, written report 2 h from the plan\'s activation).', responses: { 200: z.object({ incident: z.string(), deadlines: z.array(reportDeadline) }), 404: errorBody } }, async (c) => {
    const id = c.req.param('id');
    await incident(id, c.get('user'));
    const list = await opsOf(deps).reports.deadlines(id);
    return c.json({ incident: id, deadlines: list.map((d) => ({ ...d, dueAt: iso(d.dueAt), submittedAt: iso(d.submittedAt) })) });
  });

  route(app, { method: 'get', path: '/api/incidents/:id/reports/:kind/draft', access: { permission: 'reports.write' }, params: kindParams, summary: 'A draft of the report, filled from the incident, in the request\'s language.', responses: { 200: draftBody, 404: errorBody } }, async (c) => {
    const id = c.req.param('id');
    const kind = kindParam(c.req.param('kind'));
    await incident(id, c.get('user'));
    return c.json(await opsOf(deps).reports.draft(id, kind, c.get('locale')));
  });

  /** The report (submitted, else the draft) as a printable page, in `?lang=` or the request's language. */
  route(app, { method: 'get', path: '/api/incidents/:id/reports/:kind/print', access: { permission: 'reports.write' }, params: kindParams, summary: 'The report (submitted, else the draft) as a printable page.', responses: { 200: { mediaType: 'text/html', description: 'a page with no script' }, 404: errorBody } }, async (c) => {
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

  route(app, { method: 'get', path: '/api/incidents/:id/reports/:kind', access: { permission: 'reports.write' }, params: kindParams, summary: 'The submitted report.', responses: { 200: z.object({ incident: z.string(), kind: z.enum(REPORT_KINDS), submittedAt: z.string().nullable(), submittedBy: z.string().nullable(), body: z.unknown() }), 404: errorBody } }, async (c) => {
    const id = c.req.param('id');
    const kind = kindParam(c.req.param('kind'));
    await incident(id, c.get('user'));
    const r = await opsOf(deps).reports.submitted(id, kind);
    if (!r) throw new NotFoundError(`${kind} report of incident`, id);
    return c.json({ incident: id, kind, submittedAt: iso(r.submittedAt), submittedBy: r.submittedBy, body: r.body });
  });

  route(app, { method: 'put', path: '/api/incidents/:id/reports/:kind', access: { permission: 'reports.write' }, params: kindParams, body: reportBody, summary: 'Submit the report.', responses: { 200: z.object({ incident: z.string(), deadline: reportDeadline }), 404: errorBody } }, async (c) => {
    const id = c.req.param('id');
    const kind = kindParam(c.req.param('kind'));
    await incident(id, c.get('user'));
    // The report service checks the body against the report kind's own schema.
    const d = await opsOf(deps).reports.submit(id, kind, await readJson(c), c.get('user').name);
    return c.json({ incident: id, deadline: { ...d, dueAt: iso(d.dueAt), submittedAt: iso(d.submittedAt) } });
  });
}

const draftBody = z.object({
  incidentId: z.string(), kind: z.enum(REPORT_KINDS), locale: z.string(), timezone: z.string().describe('the site\'s: every time in the draft is written in it'),
  body: z.record(z.string(), z.unknown()).describe('the report kind\'s fields, to edit and PUT back'),
  submittedAt: z.string().nullable(), submittedBy: z.string().nullable(),
  facts: z.object({
    alarms: z.array(z.object({ at: z.string(), kind: z.string(), severity: z.string(), state: z.string(), camera: z.string(), zone: z.string().nullable(), message: z.string().nullable() })),
    densities: z.array(z.object({ at: z.string(), density: z.number(), los: z.string().optional(), trendPerMin: z.number().optional(), count: z.number().optional() })),
    units: z.array(z.object({ unit: z.string(), state: z.string(), orderedAt: z.string(), ackedAt: z.string().nullable(), enRouteAt: z.string().nullable(), onSceneAt: z.string().nullable(), onSceneMinutes: z.number().nullable() })),
  }).describe('what the hub knows, for the author to check against'),
});
const kindParams = z.object({ id: z.string().min(1), kind: z.enum(REPORT_KINDS) });
/** Checked by the report service against the report kind's own schema. */
const reportBody = z.record(z.string(), z.unknown()).describe('the report kind\'s fields, as the draft gives them');
