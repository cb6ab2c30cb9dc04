// Package context: what every page gets — the REST client, translations and the token.

import type { Api } from './services/api';
import type { I18n } from './i18n';

export interface PageContext {
  api: Api;
  i18n: I18n;
  root: HTMLElement;
  params: URLSearchParams;
  path: string;
}
