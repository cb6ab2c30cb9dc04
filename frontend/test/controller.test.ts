import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocketServer, WebSocket as NodeWebSocket, type WebSocket as WsSocket } from 'ws';
import type { AddressInfo } from 'node:net';
import en from '../src/i18n/locales/en.json';
import { I18n } from '../src/i18n';
import { ChatController, type ChatView, type PlayerLike } from '../src/chat/controller';
import { NekoSocket, type AudioFrame, type SocketFactory } from '../src/services/ws';

const factory: SocketFactory = (url) => new NodeWebSocket(url) as unknown as ReturnType<SocketFactory>;

async function waitFor(fn: () => boolean, ms = 5000): Promise<void> {
  const start = Date.now();
  while (!fn()) {
    if (Date.now() - start > ms) throw new Error('timeout');
    await new Promise((r) => setTimeout(r, 5));
  }
}

class RecView implements ChatView {
  users: string[] = [];
  bubbles: string[] = [];
  status: Array<[string, boolean]> = [];
  notes: string[] = [];
  addUser(text: string) { this.users.push(text); }
  appendAssistant(text: string, isNew: boolean) {
    if (isNew || this.bubbles.length === 0) this.bubbles.push('');
    this.bubbles[this.bubbles.length - 1] += text;
  }
  discardTurn() { this.bubbles.pop(); }
  setStatus(text: string, error = false) { this.status.push([text, error]); }
  notify(text: string) { this.notes.push(text); }
}

class RecPlayer implements PlayerLike {
  frames: AudioFrame[] = [];
  interrupts: string[] = [];
  push(f: AudioFrame) { this.frames.push(f); }
  interrupt(id: string | null | undefined) { this.interrupts.push(id ?? ''); }
  stopAll() { this.interrupts.push('*'); }
}

describe('ChatController over a real socket', () => {
  let wss: WebSocketServer;
  let srv: WsSocket | null;
  let got: Array<Record<string, unknown>>;
  let socket: NekoSocket;
  let view: RecView;
  let player: RecPlayer;
  let turns: string[];
  let chat: ChatController;
  let script: (m: Record<string, unknown>, send: (o: unknown) => void) => void;

  beforeEach(async () => {
    got = [];
    srv = null;
    script = () => undefined;
    wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((r) => wss.once('listening', () => r()));
    wss.on('connection', (s) => {
      srv = s;
      s.on('message', (d) => {
        const m = JSON.parse(d.toString()) as Record<string, unknown>;
        got.push(m);
        script(m, (o) => s.send(typeof o === 'string' || Buffer.isBuffer(o) ? o : JSON.stringify(o)));
      });
    });
    socket = new NekoSocket({ name: 'test', token: 't', origin: `http://127.0.0.1:${(wss.address() as AddressInfo).port}`, factory, reconnectMs: 30 });
    view = new RecView();
    player = new RecPlayer();
    turns = [];
    chat = new ChatController({ socket, view, i18n: new I18n({ en }, 'en'), player, onTurnEnd: (t) => turns.push(t) });
    socket.start();
    await waitFor(() => srv !== null);
  });

  afterEach(async () => {
    chat.dispose();
    socket.stop();
    for (const c of wss.clients) c.terminate();
    await new Promise<void>((r) => wss.close(() => r()));
  });

  it('starts a text session, streams the reply into one bubble, plays audio and reports the turn', async () => {
    script = (m, send) => {
      if (m.action === 'start_session') {
        send({ type: 'session_preparing', input_mode: 'text' });
        send({ type: 'session_started', input_mode: 'text' });
      }
      if (m.action === 'stream_data' && m.input_type === 'text') {
        send({ type: 'user_activity', interrupted_speech_id: 'old' });
        send({ type: 'gemini_response', text: 'Hello', isNewMessage: true });
        send({ type: 'gemini_response', text: ' world', isNewMessage: false });
        send({ type: 'audio_chunk', speech_id: 'sp1' });
        send(Buffer.from([0, 1, 0, 2]));
        send({ type: 'system', data: 'turn end' });
      }
    };
    await chat.sendText('  hi there ', ['data:image/jpeg;base64,AAAA']);
    await waitFor(() => turns.length === 1);
    expect(got.map((m) => [m.action, m.input_type])).toEqual([['start_session', 'text'], ['stream_data', 'screen'], ['stream_data', 'text']]);
    expect(got[2]?.data).toBe('hi there');
    expect(view.users).toEqual(['hi there']);
    expect(view.bubbles).toEqual(['Hello world']);
    expect(turns).toEqual(['Hello world']);
    expect(player.interrupts).toEqual(['', 'old']);
    expect(player.frames.map((f) => f.speechId)).toEqual(['sp1']);
    expect(chat.mode).toBe('text');
  });

  it('does not start a second session while one of the same mode runs', async () => {
    script = (m, send) => {
      if (m.action === 'start_session') send({ type: 'session_started', input_mode: 'text' });
    };
    await chat.sendText('one');
    await chat.sendText('two');
    expect(got.filter((m) => m.action === 'start_session')).toHaveLength(1);
  });

  it('rejects when the session fails, and times out when the server is silent', async () => {
    script = (m, send) => {
      if (m.action === 'start_session') send({ type: 'session_failed', input_mode: 'text' });
    };
    await expect(chat.sendText('x')).rejects.toThrow(en.chat.session_failed);
    script = () => undefined;
    await expect(chat.startSession('audio', 50)).rejects.toThrow(en.chat.startTimeout);
  });

  it('translates status codes, discards a turn, and follows character switches', async () => {
    const switched: string[] = [];
    chat.dispose();
    chat = new ChatController({ socket, view, i18n: new I18n({ en }, 'en'), player, onSwitch: (n) => switched.push(n) });
    const s = srv!;
    s.send(JSON.stringify({ type: 'status', message: JSON.stringify({ code: 'API_KEY_REJECTED', details: {} }) }));
    s.send(JSON.stringify({ type: 'gemini_response', text: 'too long…', isNewMessage: true }));
    s.send(JSON.stringify({ type: 'response_discarded', reason: 'too_long', message: '' }));
    s.send(JSON.stringify({ type: 'catgirl_switched', new_catgirl: 'vrmchan', old_catgirl: 'test' }));
    await waitFor(() => switched.length === 1);
    expect(view.status).toContainEqual([en.status.API_KEY_REJECTED, true]);
    expect(view.bubbles).toEqual([]);
    expect(switched).toEqual(['vrmchan']);
  });

  it('answers request_screenshot with the captured image, and stays silent without one', async () => {
    let shot: string | null = 'data:image/jpeg;base64,AAAA';
    chat.dispose();
    chat = new ChatController({ socket, view, i18n: new I18n({ en }, 'en'), player, onScreenshotRequest: async () => shot });
    srv!.send(JSON.stringify({ type: 'request_screenshot' }));
    await waitFor(() => got.some((m) => m.action === 'screenshot_response'));
    expect(got.find((m) => m.action === 'screenshot_response')?.data).toBe('data:image/jpeg;base64,AAAA');
    shot = null;
    srv!.send(JSON.stringify({ type: 'request_screenshot' }));
    srv!.send(JSON.stringify({ type: 'pong' }));
    await new Promise((r) => setTimeout(r, 100));
    expect(got.filter((m) => m.action === 'screenshot_response')).toHaveLength(1);
  });

  it('marks the session idle and shows reconnecting when the socket drops', async () => {
    script = (m, send) => {
      if (m.action === 'start_session') send({ type: 'session_started', input_mode: 'text' });
    };
    await chat.sendText('hi');
    srv!.terminate();
    await waitFor(() => chat.mode === 'idle');
    expect(view.status.some(([t, e]) => t === en.chat.reconnecting && e)).toBe(true);
  });
});
