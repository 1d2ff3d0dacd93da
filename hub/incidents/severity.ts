import { SEVERITY_RANK, type Severity } from '../../common/alarm.ts';

const ORDER: readonly Severity[] = ['info', 'warning', 'critical'];

export function maxSeverity(a: Severity, b: Severity): Severity {
  return SEVERITY_RANK[a] >= SEVERITY_RANK[b] ? a : b;
}

export function bumpSeverity(s: Severity): Severity {
  return ORDER[Math.min(ORDER.length - 1, SEVERITY_RANK[s] + 1)]!;
}
