/**
 * A small ICU MessageFormat subset, enough for the catalogue:
 * `{name}` arguments, `{n, plural, =0 {…} one {# alarm} other {# alarms}}`
 * (plural categories from Intl.PluralRules, `#` the formatted number) and
 * `{x, select, a {…} other {…}}`, nested. `'{'` quotes a brace. No dependency.
 */
export type MessageParams = Readonly<Record<string, string | number | null | undefined>>;

type Node = string | { arg: string } | { arg: string; type: 'plural' | 'select'; offset: number; options: Record<string, Node[]> };

const cache = new Map<string, Node[]>();

export class MessageSyntaxError extends Error {}

function parse(src: string): Node[] {
  let i = 0;
  const fail = (what: string): never => { throw new MessageSyntaxError(`${what} at ${i} in "${src}"`); };
  const nodes = (inPlural: boolean, depth: number): Node[] => {
    const out: Node[] = [];
    let text = '';
    const flush = () => { if (text) { out.push(text); text = ''; } };
    while (i < src.length) {
      const c = src[i]!;
      if (c === "'" && src[i + 1] === "'") { text += "'"; i += 2; continue; }
      if (c === "'" && (src[i + 1] === '{' || src[i + 1] === '}' || src[i + 1] === '#')) {
        const end = src.indexOf("'", i + 1);
        if (end < 0) fail('unclosed quote');
        text += src.slice(i + 1, end);
        i = end + 1;
        continue;
      }
      if (c === '}') { if (depth === 0) fail('unexpected }'); break; }
      if (c === '#' && inPlural) { flush(); out.push({ arg: '#' }); i++; continue; }
      if (c !== '{') { text += c; i++; continue; }
      flush();
      i++;
      const close = /[,}]/g;
      close.lastIndex = i;
      const m = close.exec(src) ?? fail('unclosed argument');
      const name = src.slice(i, m.index).trim();
      if (!name) fail('empty argument');
      i = m.index;
      if (src[i] === '}') { out.push({ arg: name }); i++; continue; }
      i++;
      const typeEnd = src.indexOf(',', i);
      if (typeEnd < 0) fail('argument type without options');
      const typeName = src.slice(i, typeEnd).trim();
      if (typeName !== 'plural' && typeName !== 'select') fail(`unknown argument type ${typeName}`);
      const type = typeName as 'plural' | 'select';
      i = typeEnd + 1;
      let offset = 0;
      const options: Record<string, Node[]> = {};
      for (;;) {
        while (/\s/.test(src[i] ?? '')) i++;
        if (src[i] === '}') { i++; break; }
        const keyEnd = src.indexOf('{', i);
        if (keyEnd < 0) fail('option without a message');
        const key = src.slice(i, keyEnd).trim();
        if (key.startsWith('offset:')) { offset = Number(key.slice(7)); i = keyEnd; continue; }
        i = keyEnd + 1;
        options[key] = nodes(type === 'plural', depth + 1);
        if (src[i] !== '}') fail('unclosed option');
        i++;
      }
      if (!('other' in options)) fail(`${type} without "other"`);
      out.push({ arg: name, type, offset, options });
    }
    flush();
    return out;
  };
  const out = nodes(false, 0);
  if (i < src.length) fail('trailing text');
  return out;
}

function parsed(pattern: string): Node[] {
  let n = cache.get(pattern);
  if (!n) { n = parse(pattern); cache.set(pattern, n); }
  return n;
}

const plurals = new Map<string, Intl.PluralRules>();
const numbers = new Map<string, Intl.NumberFormat>();
const pluralRules = (locale: string) => { let p = plurals.get(locale); if (!p) plurals.set(locale, (p = new Intl.PluralRules(locale))); return p; };
const numberFormat = (locale: string) => { let f = numbers.get(locale); if (!f) numbers.set(locale, (f = new Intl.NumberFormat(locale, { maximumFractionDigits: 2 }))); return f; };

function render(list: Node[], params: MessageParams, locale: string, hash: number | null): string {
  let out = '';
  for (const n of list) {
    if (typeof n === 'string') { out += n; continue; }
    if (!('type' in n)) {
      if (n.arg === '#') { out += hash === null ? '#' : numberFormat(locale).format(hash); continue; }
      const v = params[n.arg];
      out += v === undefined || v === null ? `{${n.arg}}` : typeof v === 'number' ? numberFormat(locale).format(v) : v;
      continue;
    }
    const v = params[n.arg];
    if (n.type === 'select') {
      out += render(n.options[String(v)] ?? n.options.other!, params, locale, hash);
      continue;
    }
    const num = Number(v);
    const exact = n.options[`=${num}`];
    const cat = pluralRules(locale).select(num - n.offset);
    out += render(exact ?? n.options[cat] ?? n.options.other!, params, locale, num - n.offset);
  }
  return out;
}

/** Formats one message; throws MessageSyntaxError on a malformed pattern (the catalogue test parses every message). */
export function formatMessage(pattern: string, params: MessageParams = {}, locale = 'en'): string {
  return render(parsed(pattern), params, locale, null);
}

/** The argument names a pattern uses (for checking that both languages take the same ones). */
export function messageArguments(pattern: string): string[] {
  const names = new Set<string>();
  const walk = (list: Node[]) => {
    for (const n of list) {
      if (typeof n === 'string') continue;
      if (n.arg !== '#') names.add(n.arg);
      if ('type' in n) for (const o of Object.values(n.options)) walk(o);
    }
  };
  walk(parsed(pattern));
  return [...names].sort();
}
