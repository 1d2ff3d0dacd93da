import { describe, expect, it } from 'vitest';
import { en } from '../../../hub/i18n/en.ts';
import { zhCN } from '../../../hub/i18n/zh-CN.ts';
import { formatMessage, messageArguments, MessageSyntaxError } from '../../../hub/i18n/format.ts';
import { parseAcceptLanguage, pickLocale, translator } from '../../../hub/i18n/catalogue.ts';

describe('message catalogue', () => {
  it('has every key in both languages, each with the same arguments, and every message parses', () => {
    expect(Object.keys(zhCN).sort()).toEqual(Object.keys(en).sort());
    const differ: string[] = [];
    for (const [key, pattern] of Object.entries(en)) {
      if (JSON.stringify(messageArguments(pattern)) !== JSON.stringify(messageArguments(zhCN[key as keyof typeof en]))) differ.push(key);
    }
    expect(differ).toEqual([]);
  });

  it('has no English left in the Chinese catalogue (beyond names, units and codes)', () => {
    // Product and proper names, the language switch's own name for English, a URL parameter, a config key.
    const allowed = /^(Vigil|Fruin|English|JSON|wall|liveView|NaN|[A-Z]{1,3})$/;
    const english: string[] = [];
    for (const [key, pattern] of Object.entries(zhCN)) {
      // Every branch: each select key the messages use, and a plain value (whose own text is taken out again).
      for (const v of ['\u0001', 'raised', 'rising', 'falling', 'none']) {
        const params = Object.fromEntries(messageArguments(pattern).map((a) => [a, v]));
        const text = formatMessage(pattern, params, 'zh-CN').split(v).join(' ');
        for (const w of text.match(/[A-Za-z]{3,}/g) ?? []) if (!allowed.test(w)) english.push(`${key}: ${w}`);
      }
    }
    expect([...new Set(english)]).toEqual([]);
  });

  it('formats arguments and ICU plurals with Intl.PluralRules', () => {
    expect(formatMessage('{n, plural, =0 {no alarms} one {# alarm} other {# alarms}}', { n: 0 })).toBe('no alarms');
    expect(formatMessage('{n, plural, =0 {no alarms} one {# alarm} other {# alarms}}', { n: 1 })).toBe('1 alarm');
    expect(formatMessage('{n, plural, =0 {no alarms} one {# alarm} other {# alarms}}', { n: 1200 })).toBe('1,200 alarms');
    expect(formatMessage('{n, plural, other {# 条报警}}', { n: 3 }, 'zh-CN')).toBe('3 条报警');
    expect(formatMessage('{s, select, raised {up} other {down}} at {t}', { s: 'raised', t: '10:00' })).toBe('up at 10:00');
    expect(formatMessage("a '{literal}' brace")).toBe('a {literal} brace');
    expect(() => formatMessage('{n, plural, one {x}}', { n: 1 })).toThrow(MessageSyntaxError);
    expect(() => formatMessage('{n, plural, one {x} other {y}', { n: 1 })).toThrow(MessageSyntaxError);
  });

  it('marks a missing key instead of falling back to English', () => {
    const missing: string[] = [];
    const t = translator('zh-CN', { onMissing: (k) => missing.push(k) });
    expect(t.t('nav.nope' as never)).toBe('⟦nav.nope⟧');
    expect(missing).toEqual(['nav.nope']);
    expect(t.lookup('kind.sensor.door')).toBeUndefined();
    expect(t.t('status.open')).toBe('报警');
  });

  it('follows the user\'s choice, then the browser\'s languages', () => {
    expect(parseAcceptLanguage('en-GB;q=0.5, zh-CN, zh;q=0.8')).toEqual(['zh-CN', 'zh', 'en-GB']);
    expect(pickLocale('en', ['zh-CN'])).toBe('en');
    expect(pickLocale(null, ['fr', 'zh-Hans-CN', 'en'])).toBe('zh-CN');
    expect(pickLocale('klingon', ['en-US'])).toBe('en');
    expect(pickLocale(undefined, ['fr'])).toBe('zh-CN');
    expect(pickLocale(undefined, [], 'en')).toBe('en');
  });
});
