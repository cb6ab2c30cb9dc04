// Package i18n: nested JSON locales (zh-CN, en, ja) with a fallback chain, language detection
// from /api/config/user_language then the browser, and data-i18n markup.

export type LocaleTree = { [key: string]: string | LocaleTree };
export type Locales = Record<string, LocaleTree>;

export const SUPPORTED = ['zh-CN', 'en', 'ja'] as const;
export type Lang = (typeof SUPPORTED)[number];

/** normalizeLang maps any language tag ("zh", "zh_CN", "ja-JP", "en-US", "schinese") to a supported one. */
export function normalizeLang(code: string | null | undefined): Lang | null {
  if (!code) return null;
  const c = code.trim().toLowerCase().replace('_', '-');
  if (c === 'schinese' || c === 'tchinese' || c === 'zh' || c.startsWith('zh-')) return 'zh-CN';
  if (c === 'japanese' || c === 'ja' || c.startsWith('ja-')) return 'ja';
  if (c === 'english' || c === 'en' || c.startsWith('en-')) return 'en';
  return null;
}

/** pickLanguage chooses the server's language if supported, else the first supported browser one, else en. */
export function pickLanguage(server: string | null | undefined, browser: readonly string[]): Lang {
  const s = normalizeLang(server);
  if (s) return s;
  for (const b of browser) {
    const n = normalizeLang(b);
    if (n) return n;
  }
  return 'en';
}

function lookup(tree: LocaleTree | undefined, key: string): string | undefined {
  let node: string | LocaleTree | undefined = tree;
  for (const part of key.split('.')) {
    if (!node || typeof node === 'string') return undefined;
    node = node[part];
  }
  return typeof node === 'string' ? node : undefined;
}

function interpolate(s: string, vars?: Record<string, string | number>): string {
  if (!vars) return s;
  return s.replace(/\{\{\s*(\w+)\s*\}\}/g, (m, k: string) => (k in vars ? String(vars[k]) : m));
}

export class I18n {
  readonly lang: Lang;
  private readonly chain: LocaleTree[];

  constructor(locales: Locales, lang: Lang) {
    this.lang = lang;
    const order = [lang, 'en', 'zh-CN'];
    this.chain = [...new Set(order)].map((l) => locales[l]).filter((t): t is LocaleTree => !!t);
  }

  /** has reports whether any locale in the chain defines key. */
  has(key: string): boolean {
    return this.chain.some((t) => lookup(t, key) !== undefined);
  }

  /** t translates key, falling back to en, then zh-CN, then the key itself. */
  t(key: string, vars?: Record<string, string | number>): string {
    for (const tree of this.chain) {
      const v = lookup(tree, key);
      if (v !== undefined) return interpolate(v, vars);
    }
    return key;
  }

  /** apply translates data-i18n, data-i18n-placeholder and data-i18n-title under root. */
  apply(root: ParentNode): void {
    root.querySelectorAll<HTMLElement>('[data-i18n]').forEach((el) => {
      el.textContent = this.t(el.dataset.i18n ?? '');
    });
    root.querySelectorAll<HTMLElement>('[data-i18n-placeholder]').forEach((el) => {
      el.setAttribute('placeholder', this.t(el.dataset.i18nPlaceholder ?? ''));
    });
    root.querySelectorAll<HTMLElement>('[data-i18n-title]').forEach((el) => {
      el.title = this.t(el.dataset.i18nTitle ?? '');
    });
  }
}

/**
 * statusText turns a server `status` message (a JSON string {"code","details"} or plain text) into
 * a translated line. Unknown codes show the code itself with its details.
 */
export function statusText(i18n: I18n, message: unknown): string {
  if (typeof message !== 'string') return String(message ?? '');
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch {
    return message;
  }
  if (!parsed || typeof parsed !== 'object') return message;
  const { code, details } = parsed as { code?: unknown; details?: unknown };
  if (typeof code !== 'string') return message;
  const vars: Record<string, string | number> = {};
  if (details && typeof details === 'object') {
    for (const [k, v] of Object.entries(details as Record<string, unknown>)) {
      if (typeof v === 'string' || typeof v === 'number') vars[k] = v;
    }
  }
  for (const ns of ['status', 'api', 'errors']) {
    const key = `${ns}.${code}`;
    if (i18n.has(key)) return i18n.t(key, vars);
  }
  const extra = Object.keys(vars).length ? ` ${JSON.stringify(vars)}` : '';
  return `${code}${extra}`;
}

/**
 * errorText is the translated line for a failed API call: the server's `code` (or its first
 * `reasons` entry, as the agent answers) when `errors.<code>` or `status.<code>` is translated,
 * else the error's own message. Works on any error with a JSON `body` (services/api ApiError).
 */
export function errorText(i18n: I18n, err: unknown): string {
  const body = (err as { body?: unknown } | null)?.body;
  if (body && typeof body === 'object') {
    const b = body as { code?: unknown; reasons?: unknown };
    const codes = [b.code, ...(Array.isArray(b.reasons) ? b.reasons : [])].filter((c): c is string => typeof c === 'string' && c !== '');
    for (const code of codes) {
      for (const ns of ['errors', 'status']) {
        if (i18n.has(`${ns}.${code}`)) return i18n.t(`${ns}.${code}`);
      }
    }
  }
  return err instanceof Error ? err.message : String(err);
}

/** codeText translates one reason code (errors.<code>, status.<code>), else returns it. */
export function codeText(i18n: I18n, code: string): string {
  for (const ns of ['errors', 'status']) {
    if (i18n.has(`${ns}.${code}`)) return i18n.t(`${ns}.${code}`);
  }
  return code;
}
