import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Api, ApiError } from '../src/services/api';

describe('Api against a real HTTP server', () => {
  let server: Server;
  let base: string;
  const seen: Array<{ method: string; url: string; token: string | undefined; body: string; type: string | undefined }> = [];

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        seen.push({ method: req.method ?? '', url: req.url ?? '', token: req.headers['x-neko-token'] as string | undefined, body, type: req.headers['content-type'] });
        const send = (code: number, text: string) => {
          res.writeHead(code, { 'Content-Type': 'application/json' });
          res.end(text);
        };
        if (req.url === '/ok') return send(200, '{"success":true,"value":42}');
        if (req.url === '/list') return send(200, '[1,2]');
        if (req.url === '/soft-fail') return send(200, '{"success":false,"error":"voice id invalid"}');
        if (req.url === '/detail') return send(422, '{"detail":"field required"}');
        if (req.url === '/text') return send(500, 'boom');
        if (req.url === '/empty') return send(200, '');
        send(404, '{"error":"no route"}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const api = () => new Api({ token: 'tok', base, fetch: (i, init) => fetch(i, init) });

  it('sends the token on mutating requests only, JSON encoded', async () => {
    await api().get('/ok');
    await api().post('/ok', { a: '小' });
    await api().put('/ok', { b: 1 });
    await api().del('/ok');
    const last4 = seen.slice(-4);
    expect(last4.map((s) => [s.method, s.token])).toEqual([['GET', undefined], ['POST', 'tok'], ['PUT', 'tok'], ['DELETE', 'tok']]);
    expect(last4[1]?.body).toBe('{"a":"小"}');
    expect(last4[1]?.type).toBe('application/json');
  });

  it('returns parsed bodies', async () => {
    expect(await api().get('/ok')).toEqual({ success: true, value: 42 });
    expect(await api().get('/list')).toEqual([1, 2]);
    expect(await api().get('/empty')).toBe('');
  });

  it('turns failures into ApiError with the server message', async () => {
    await expect(api().post('/soft-fail')).rejects.toMatchObject({ message: 'voice id invalid', status: 200 });
    await expect(api().get('/detail')).rejects.toMatchObject({ message: 'field required', status: 422 });
    await expect(api().get('/text')).rejects.toMatchObject({ message: 'boom', status: 500 });
    const err = await api().get('/missing').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).body).toEqual({ error: 'no route' });
  });

  it('omits the header when there is no token', async () => {
    await new Api({ token: '', base }).post('/ok', {});
    expect(seen[seen.length - 1]?.token).toBeUndefined();
  });
});
