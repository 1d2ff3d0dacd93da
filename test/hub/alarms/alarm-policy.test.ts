import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../common/errors.ts';
import { siteSchema } from '../../../common/config/site.ts';
import { alarmPolicySchema } from '../../../common/config/alarm-policy.ts';
import { createAlarmPolicies, createSitePolicy } from '../../../hub/alarms/alarm-policy.ts';
import { checkConfig } from '../../../common/config/load.ts';

const defaults = createSitePolicy(alarmPolicySchema.parse({}));

describe('alarm policy', () => {
  // The issue's table: info is feed only; camera health and sensor warnings open an
  // incident for the engineers; crowd and abandoned-object warnings open incidents; criticals dispatch.
  const table: [kind: string, severity: 'info' | 'warning' | 'critical', outcome: string, role: string][] = [
    ['sensor.motion', 'info', 'feed', 'operator'],
    ['crowd.density', 'info', 'feed', 'operator'],
    ['camera.offline', 'info', 'feed', 'operator'],
    ['camera.offline', 'warning', 'incident', 'engineer'],
    ['camera.frozen', 'warning', 'incident', 'engineer'],
    ['camera.tamper', 'warning', 'incident', 'engineer'],
    ['sensor.tamper', 'warning', 'incident', 'engineer'],
    ['sensor.door', 'warning', 'incident', 'engineer'],
    ['crowd.density', 'warning', 'incident', 'operator'],
    ['object.abandoned', 'warning', 'incident', 'operator'],
    ['crowd.density', 'critical', 'dispatch', 'operator'],
    ['object.abandoned', 'critical', 'dispatch', 'operator'],
    ['sensor.panic', 'critical', 'dispatch', 'operator'],
    ['camera.offline', 'critical', 'dispatch', 'operator'],
  ];
  for (const [kind, severity, outcome, role] of table) {
    it(`${severity} ${kind} → ${outcome} (${role})`, () => {
      expect(defaults.decide(kind, severity)).toEqual({ outcome, role });
    });
  }

  it('activates the plan by policy for criticals only, at the configured level', () => {
    expect(defaults.autoActivation('critical')).toBe('III');
    expect(defaults.autoActivation('warning')).toBeNull();
    const strict = createSitePolicy(alarmPolicySchema.parse({ activation: { autoSeverities: [], autoLevel: 'II' } }));
    expect(strict.autoActivation('critical')).toBeNull();
  });

  it('tries a site\'s own rules before the defaults, first match wins', () => {
    const p = createSitePolicy(alarmPolicySchema.parse({
      rules: [
        { kind: 'sensor.motion', outcome: 'feed' },
        { kind: 'sensor.panic', severity: 'warning', outcome: 'dispatch' },
        { kind: 'camera.*', outcome: 'incident', role: 'operator' },
      ],
    }));
    expect(p.decide('sensor.motion', 'critical').outcome).toBe('feed');
    expect(p.decide('sensor.panic', 'warning')).toEqual({ outcome: 'dispatch', role: 'operator' });
    expect(p.decide('camera.frozen', 'warning')).toEqual({ outcome: 'incident', role: 'operator' });
    expect(p.decide('sensor.door', 'warning')).toEqual({ outcome: 'incident', role: 'engineer' });
  });

  it('has ISA-18.2 defaults for the flood guard, shelving and escalation', () => {
    expect(defaults.floodMax).toBe(5);
    expect(defaults.floodWindowMs).toBe(600_000);
    expect(defaults.maxShelveMs).toBe(8 * 3_600_000);
    expect(defaults.unacknowledgedMs).toBe(5 * 60_000);
  });

  it('chooses webhooks by event, severity and kind', () => {
    const p = createSitePolicy(alarmPolicySchema.parse({
      notify: [
        { webhook: 'pa', events: ['plan.activated', 'incident.unacknowledged'], minSeverity: 'critical' },
        { webhook: 'sms', events: ['incident.opened'], kinds: ['object.*'] },
      ],
    }));
    expect(p.webhooksFor('plan.activated', 'crowd.density', 'critical')).toEqual(['pa']);
    expect(p.webhooksFor('plan.activated', 'crowd.density', 'warning')).toEqual([]);
    expect(p.webhooksFor('incident.opened', 'object.abandoned', 'warning')).toEqual(['sms']);
    expect(p.webhooksFor('incident.opened', 'crowd.density', 'critical')).toEqual([]);
  });

  it('refuses a bad policy naming the field, and a webhook hub.yaml does not define', () => {
    expect(() => checkConfig(siteSchema, { site: { id: 's', name: 'S' }, policy: { rules: [{ kind: 'Crowd', outcome: 'incident' }] } }, 'site.yaml')).toThrow(/policy\.rules\.0\.kind/);
    expect(() => checkConfig(siteSchema, { site: { id: 's', name: 'S' }, policy: { shelving: { maxHours: 9 } } }, 'site.yaml')).toThrow(/policy\.shelving\.maxHours/);
    expect(() => checkConfig(siteSchema, { site: { id: 's', name: 'S' }, policy: { rules: [{ kind: '*', outcome: 'page' }] } }, 'site.yaml')).toThrow(/policy\.rules\.0\.outcome/);
    const site = siteSchema.parse({ site: { id: 's', name: 'S' }, policy: { notify: [{ webhook: 'radio', events: ['plan.activated'] }] } });
    const err = (() => { try { createAlarmPolicies([site], { webhooks: new Set(['pa']) }); } catch (e) { return e; } return null; })();
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).issues[0]).toMatchObject({ path: 'policy.notify.0.webhook' });
  });

  it('refuses a site time zone that does not exist', () => {
    expect(() => checkConfig(siteSchema, { site: { id: 's', name: 'S', timezone: 'Asia/Shang_hai' } }, 'site.yaml')).toThrow(/site\.timezone/);
    expect(checkConfig(siteSchema, { site: { id: 's', name: 'S', timezone: 'Asia/Shanghai' } }, 'site.yaml').site.timezone).toBe('Asia/Shanghai');
  });
});
