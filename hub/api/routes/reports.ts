import type { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { requireRole, type HubEnv } from '../auth.ts';
import type { ApiUser, HubDeps } from '../deps.ts';
import { assertSite, incidentSite } from '../site-scope.ts';
import { readJson } from '../validate.ts';
import { ValidationError } from '../../../common/errors.ts';
import { NotFoundError } from '../../store/not-found.ts';
import { REPORT_KINDS, type ReportKind } from '../../reports/deadlines.ts';
import type { ReportService } from '../../reports/report-service.ts';
import type {} from '../../dispatch/ops.ts';

function reportsOf(deps: HubDeps): ReportService {
  const r = deps.ops?.reports;
  if (!r) throw new HTTPException(503, { message: 'reports are not running on this hub' });
  return r;
}

function kindParam(value: string): ReportKind {
  if (!REPORT_KINDS.includes(value as ReportKind)) throw new ValidationError('kind', `must be one of ${REPORT_KINDS.join(', ')}`);
  return value as ReportKind;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The incident exists and is of a site this login may see (else it is "not found"). */
async function incidentExists(deps: HubDeps, id: string, user: ApiUser): Promise<void> {
  assertSite(user, await incidentSite(deps, id), 'incident', id);
}

/** The plan's first (1 h) and written (2 h) reports of an incident. */
export function registerReportRoutes(app: Hono<HubEnv>, deps: HubDeps): void {
  app.get('/api/incidents/:id/reports', requireRole('operator', 'commander'), async (c) => {
    const id = c.req.param('id');
    await incidentExists(deps, id, c.get('user'));
    const list = await reportsOf(deps).deadlines(id);
    return c.json({ incident: id, deadlines: list.map((d) => ({ ...d, dueAt: iso(d.dueAt), submittedAt: iso(d.submittedAt) })) });
  });

  app.get('/api/incidents/:id/reports/:kind/draft', requireRole('operator', 'commander'), async (c) => {
    const id = c.req.param('id');
    const kind = kindParam(c.req.param('kind'));
    await incidentExists(deps, id, c.get('user'));
    return c.json(await reportsOf(deps).draft(id, kind));
  });

  app.get('/api/incidents/:id/reports/:kind', requireRole('operator', 'commander'), async (c) => {
    const id = c.req.param('id');
    const kind = kindParam(c.req.param('kind'));
    await incidentExists(deps, id, c.get('user'));
    const r = await reportsOf(deps).submitted(id, kind);
    if (!r) throw new NotFoundError(`${kind} report of incident`, id);
    return c.json({ incident: id, kind, submittedAt: iso(r.submittedAt), submittedBy: r.submittedBy, body: r.body });
  });

  app.put('/api/incidents/:id/reports/:kind', requireRole('operator', 'commander'), async (c) => {
    const id = c.req.param('id');
    const kind = kindParam(c.req.param('kind'));
    await incidentExists(deps, id, c.get('user'));
    // The report service checks the body against the report kind's own schema.
    const d = await reportsOf(deps).submit(id, kind, await readJson(c), c.get('user').name);
    return c.json({ incident: id, deadline: { ...d, dueAt: iso(d.dueAt), submittedAt: iso(d.submittedAt) } });
  });
}
