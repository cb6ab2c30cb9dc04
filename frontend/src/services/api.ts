// Package api: every REST call of the frontend goes through here, so the CSRF token header
// (X-Neko-Token, read from <meta name="neko-token">) is sent on every mutating request.

export class ApiError extends Error {
  readonly status: number;
  readonly body: unknown;
  constructor(message: string, status: number, body: unknown) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.body = body;
  }
}

/** readToken returns the per-install token the server injected into index.html ('' when absent). */
export function readToken(doc: Document | undefined = globalThis.document): string {
  const meta = doc?.querySelector('meta[name="neko-token"]');
  return meta?.getAttribute('content') ?? '';
}

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface ApiOptions {
  token?: string;
  base?: string;
  fetch?: FetchLike;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function errorMessage(body: unknown, status: number): string {
  if (body && typeof body === 'object') {
    const b = body as Record<string, unknown>;
    for (const k of ['error', 'detail', 'message']) {
      const v = b[k];
      if (typeof v === 'string' && v) return v;
    }
  }
  if (typeof body === 'string' && body) return body.slice(0, 300);
  return `HTTP ${status}`;
}

/** Api is the REST client. One instance per page. */
export class Api {
  readonly token: string;
  private readonly base: string;
  private readonly fetchFn: FetchLike;

  constructor(opts: ApiOptions = {}) {
    this.token = opts.token ?? readToken();
    this.base = opts.base ?? '';
    this.fetchFn = opts.fetch ?? ((i, init) => globalThis.fetch(i, init));
  }

  /** headers returns the headers for a request with the given method. */
  headers(method: string, json: boolean): Record<string, string> {
    const h: Record<string, string> = {};
    if (json) h['Content-Type'] = 'application/json';
    if (!SAFE_METHODS.has(method.toUpperCase()) && this.token) h['X-Neko-Token'] = this.token;
    return h;
  }

  async request<T = unknown>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    const init: RequestInit = { method, headers: this.headers(method, body !== undefined) };
    if (body !== undefined) init.body = JSON.stringify(body);
    if (signal) init.signal = signal;
    const res = await this.fetchFn(this.base + path, init);
    const text = await res.text();
    let parsed: unknown = text;
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    if (!res.ok) throw new ApiError(errorMessage(parsed, res.status), res.status, parsed);
    if (parsed && typeof parsed === 'object' && (parsed as { success?: unknown }).success === false) {
      throw new ApiError(errorMessage(parsed, res.status), res.status, parsed);
    }
    return parsed as T;
  }

  get<T = unknown>(path: string, signal?: AbortSignal): Promise<T> {
    return this.request<T>('GET', path, undefined, signal);
  }
  post<T = unknown>(path: string, body: unknown = {}): Promise<T> {
    return this.request<T>('POST', path, body);
  }
  put<T = unknown>(path: string, body: unknown = {}): Promise<T> {
    return this.request<T>('PUT', path, body);
  }
  del<T = unknown>(path: string): Promise<T> {
    return this.request<T>('DELETE', path);
  }

  /**
   * upload sends multipart form data with upload progress (XMLHttpRequest, because fetch has no
   * upload progress). onProgress gets a fraction 0..1.
   */
  upload<T = unknown>(path: string, form: FormData, onProgress?: (fraction: number) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', this.base + path);
      if (this.token) xhr.setRequestHeader('X-Neko-Token', this.token);
      xhr.upload.onprogress = (ev) => {
        if (ev.lengthComputable && onProgress) onProgress(ev.loaded / ev.total);
      };
      xhr.onerror = () => reject(new ApiError('network error', 0, null));
      xhr.onabort = () => reject(new ApiError('aborted', 0, null));
      xhr.onload = () => {
        let parsed: unknown = xhr.responseText;
        try {
          parsed = JSON.parse(xhr.responseText);
        } catch {
          /* plain text body */
        }
        const failed = xhr.status < 200 || xhr.status >= 300 ||
          (parsed && typeof parsed === 'object' && (parsed as { success?: unknown }).success === false);
        if (failed) reject(new ApiError(errorMessage(parsed, xhr.status), xhr.status, parsed));
        else {
          onProgress?.(1);
          resolve(parsed as T);
        }
      };
      xhr.send(form);
    });
  }
}

/** enc encodes one path segment. */
export const enc = (s: string): string => encodeURIComponent(s);
