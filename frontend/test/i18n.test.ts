import { describe, expect, it } from 'vitest';
import en from '../src/i18n/locales/en.json';
import ja from '../src/i18n/locales/ja.json';
import zhCN from '../src/i18n/locales/zh-CN.json';
import { I18n, codeText, errorText, normalizeLang, pickLanguage, statusText, type LocaleTree } from '../src/i18n';

const locales = { en, ja, 'zh-CN': zhCN };

function keys(t: LocaleTree, prefix = ''): string[] {
  return Object.entries(t).flatMap(([k, v]) => (typeof v === 'string' ? [`${prefix}${k}`] : keys(v, `${prefix}${k}.`)));
}

describe('language choice', () => {
  it('normalizes tags and Steam names', () => {
    expect(normalizeLang('zh')).toBe('zh-CN');
    expect(normalizeLang('zh_TW')).toBe('zh-CN');
    expect(normalizeLang('schinese')).toBe('zh-CN');
    expect(normalizeLang('ja-JP')).toBe('ja');
    expect(normalizeLang('EN-us')).toBe('en');
    expect(normalizeLang('ko')).toBeNull();
    expect(normalizeLang(undefined)).toBeNull();
  });

  it('prefers the server language, then the browser, then English', () => {
    expect(pickLanguage('ja', ['en-US'])).toBe('ja');
    expect(pickLanguage('ko', ['fr', 'zh-CN'])).toBe('zh-CN');
    expect(pickLanguage(null, ['fr', 'de'])).toBe('en');
  });
});

describe('translation with fallback', () => {
  it('falls back from ja to en, then zh-CN, then the key', () => {
    const tree = { en: { a: { b: 'B-en' }, only: 'en-only' }, 'zh-CN': { a: { b: 'B-zh' }, zh: '仅中文' }, ja: { a: { b: 'B-ja' } } };
    const ja = new I18n(tree, 'ja');
    expect(ja.t('a.b')).toBe('B-ja');
    expect(ja.t('only')).toBe('en-only');
    expect(ja.t('zh')).toBe('仅中文');
    expect(ja.t('missing.key')).toBe('missing.key');
    expect(ja.t('a')).toBe('a'); // a namespace is not a string
  });

  it('interpolates {{vars}} and leaves unknown ones', () => {
    const i = new I18n({ en: { hi: 'Hi {{name}}, {{ n }} new {{other}}' } }, 'en');
    expect(i.t('hi', { name: 'Neko', n: 3 })).toBe('Hi Neko, 3 new {{other}}');
  });

  it('ships complete zh-CN and en locales and a ja locale with no unknown keys', () => {
    const e = keys(en).sort();
    expect(keys(zhCN).sort()).toEqual(e);
    expect(keys(ja).sort()).toEqual(e);
  });

  it('translates server status codes (JSON strings) and keeps plain text', () => {
    const i = new I18n(locales, 'zh-CN');
    expect(statusText(i, JSON.stringify({ code: 'API_KEY_REJECTED', details: {} }))).toContain('API Key');
    const jaI = new I18n(locales, 'ja');
    expect(statusText(jaI, '{"code":"IMAGE_BLOCKED"}')).toBe(ja.status.IMAGE_BLOCKED);
    const { IMAGE_BLOCKED: _, ...jaStatus } = ja.status;
    const partial = new I18n({ ...locales, ja: { ...ja, status: jaStatus } }, 'ja');
    expect(statusText(partial, '{"code":"IMAGE_BLOCKED"}')).toBe(en.status.IMAGE_BLOCKED); // missing in ja: English
    expect(statusText(i, '{"code":"NEW_CODE","details":{"x":1}}')).toBe('NEW_CODE {"x":1}');
    expect(statusText(i, 'plain words')).toBe('plain words');
    expect(statusText(i, '{"code":"RELOAD_PAGE","details":{"message":"voice changed"}}')).toContain('voice changed');
  });
});

describe('server error codes', () => {
  const i18n = new I18n({ en: en as LocaleTree, ja: ja as LocaleTree, 'zh-CN': zhCN as LocaleTree }, 'ja');
  const apiErr = (body: unknown) => Object.assign(new Error('raw server text'), { body });

  it('translates the code of an API error', () => {
    expect(errorText(i18n, apiErr({ success: false, code: 'invalid_model', error: 'x is not valid JSON' }))).toBe(ja.errors.invalid_model);
  });

  it('uses the first translated reason when there is no code (agent answers)', () => {
    expect(errorText(i18n, apiErr({ success: false, reasons: ['NOPE', 'AGENT_CU_UNAVAILABLE'] }))).toBe(ja.errors.AGENT_CU_UNAVAILABLE);
    expect(codeText(i18n, 'AGENT_NO_DISPLAY')).toBe(ja.errors.AGENT_NO_DISPLAY);
    expect(codeText(i18n, 'SOMETHING_NEW')).toBe('SOMETHING_NEW');
  });

  it('falls back to the message for unknown codes and plain errors', () => {
    expect(errorText(i18n, apiErr({ code: 'brand_new' }))).toBe('raw server text');
    expect(errorText(i18n, new Error('plain'))).toBe('plain');
    expect(errorText(i18n, 'text')).toBe('text');
  });

  it('has every error code in every locale', () => {
    for (const l of [ja, zhCN]) expect(Object.keys(l.errors).sort()).toEqual(Object.keys(en.errors).sort());
  });
});
