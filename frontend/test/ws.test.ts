import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocketServer, WebSocket as NodeWebSocket, type WebSocket as WsSocket } from 'ws';
import type { AddressInfo } from 'node:net';
import { NekoSocket, wsURL, type AudioFrame, type ServerMessage, type SocketFactory } from '../src/services/ws';

const factory: SocketFactory = (url) => new NodeWebSocket(url) as unknown as ReturnType<SocketFactory>;

function waitFor<T>(fn: () => T | undefined | false, ms = 5000): Promise<T> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const tick = () => {
      const v = fn();
      if (v) return resolve(v);
      if (Date.now() - start > ms) return reject(new Error('timeout'));
      setTimeout(tick, 5);
    };
    tick();
  });
}

describe('NekoSocket against a real WebSocket server', () => {
  let wss: WebSocketServer;
  let origin: string;
  const conns: Array<{ sock: WsSocket; url: string }> = [];
  const received: string[] = [];
  let sockets: NekoSocket[] = [];

  beforeEach(async () => {
    conns.length = 0;
    received.length = 0;
    wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((r) => wss.once('listening', () => r()));
    origin = `http://127.0.0.1:${(wss.address() as AddressInfo).port}`;
    wss.on('connection', (sock, req) => {
      conns.push({ sock, url: req.url ?? '' });
      sock.on('message', (d, isBinary) => received.push(isBinary ? `bin:${(d as Buffer).length}` : d.toString()));
    });
  });

  afterEach(async () => {
    for (const s of sockets) s.stop();
    sockets = [];
    for (const c of wss.clients) c.terminate();
    await new Promise<void>((r) => wss.close(() => r()));
  });

  const make = (opts: Partial<ConstructorParameters<typeof NekoSocket>[0]> = {}) => {
    const s = new NekoSocket({ name: '小天', token: 't/k n', origin, factory, reconnectMs: 50, ...opts });
    sockets.push(s);
    return s;
  };

  it('builds the URL with the escaped name and token', () => {
    expect(wsURL('http://127.0.0.1:48911', '小天', 'a b')).toBe('ws://127.0.0.1:48911/ws/%E5%B0%8F%E5%A4%A9?token=a%20b');
    expect(wsURL('https://h:1', 'x', '')).toBe('wss://h:1/ws/x');
  });

  it('connects with the token and flushes JSON queued before open', async () => {
    const s = make();
    expect(s.send({ action: 'start_session', input_type: 'text' })).toBe(false);
    s.start();
    await waitFor(() => received.length === 1);
    expect(conns[0]?.url).toBe('/ws/%E5%B0%8F%E5%A4%A9?token=t%2Fk%20n');
    expect(JSON.parse(received[0] ?? '')).toEqual({ action: 'start_session', input_type: 'text' });
  });

  it('pairs each audio_chunk header with the next binary frame and drops unannounced binary', async () => {
    const s = make();
    const frames: AudioFrame[] = [];
    const msgs: ServerMessage[] = [];
    s.onAudio((f) => frames.push(f));
    s.onMessage((m) => msgs.push(m));
    s.start();
    await waitFor(() => conns.length === 1 && s.connState === 'open');
    const srv = conns[0]!.sock;
    srv.send(Buffer.from([9, 9])); // no header: dropped
    srv.send(JSON.stringify({ type: 'audio_chunk', speech_id: 'a' }));
    srv.send(JSON.stringify({ type: 'audio_chunk', speech_id: 'b' }));
    srv.send(Buffer.from([1, 0, 2, 0]));
    srv.send(Buffer.from([3, 0]));
    srv.send(JSON.stringify({ type: 'gemini_response', text: 'hi', isNewMessage: true }));
    srv.send('not json');
    await waitFor(() => msgs.length === 1 && frames.length === 2);
    expect(frames.map((f) => [f.speechId, Array.from(new Uint8Array(f.data))])).toEqual([['a', [1, 0, 2, 0]], ['b', [3, 0]]]);
    expect(msgs[0]).toEqual({ type: 'gemini_response', text: 'hi', isNewMessage: true });
  });

  it('sends binary mic frames only while open', async () => {
    const s = make();
    expect(s.sendBinary(new Int16Array(480))).toBe(false);
    s.start();
    await waitFor(() => s.connState === 'open');
    expect(s.sendBinary(new Int16Array(480))).toBe(true);
    await waitFor(() => received.includes('bin:960'));
  });

  it('reconnects after the server drops the connection, and stop() ends it for good', async () => {
    const s = make();
    const states: string[] = [];
    s.onState((st) => states.push(st));
    s.start();
    await waitFor(() => conns.length === 1 && s.connState === 'open');
    conns[0]!.sock.terminate();
    await waitFor(() => conns.length === 2 && s.connState === 'open');
    expect(states).toEqual(['connecting', 'open', 'closed', 'connecting', 'open']);
    s.stop();
    await new Promise((r) => setTimeout(r, 150));
    expect(conns.length).toBe(2);
    expect(s.connState).toBe('closed');
  });

  it('pings on its interval and switches character on request', async () => {
    const s = make({ pingMs: 20 });
    s.start();
    await waitFor(() => received.some((r) => r === '{"action":"ping"}'));
    s.switchTo('vrmchan');
    await waitFor(() => conns.length === 2);
    expect(conns[1]?.url.startsWith('/ws/vrmchan?')).toBe(true);
    expect(s.characterName).toBe('vrmchan');
  });

  it('keeps at most maxQueue messages while disconnected (oldest dropped)', async () => {
    const s = make({ maxQueue: 2 });
    s.send({ n: 1 });
    s.send({ n: 2 });
    s.send({ n: 3 });
    s.start();
    await waitFor(() => received.length === 2);
    expect(received.map((r) => JSON.parse(r).n)).toEqual([2, 3]);
  });
});
