// Package ws: the one WebSocket client of the page (/ws/{name}?token=…). It reconnects after a
// drop, pings every 30 s, queues JSON sent while disconnected, and pairs every `audio_chunk`
// header with the binary frame that follows it (reference §5.3).

export interface ServerMessage {
  type: string;
  [key: string]: unknown;
}

export interface AudioFrame {
  speechId: string;
  data: ArrayBuffer;
}

/** SocketLike is the part of the WHATWG WebSocket this client uses (browser WebSocket or `ws`). */
export interface SocketLike {
  binaryType: string;
  readyState: number;
  send(data: string | ArrayBuffer | ArrayBufferView): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: unknown) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
}

export type SocketFactory = (url: string) => SocketLike;
export type ConnState = 'connecting' | 'open' | 'closed';

export interface NekoSocketOptions {
  name: string;
  token: string;
  /** origin like "http://127.0.0.1:48911"; defaults to location.origin */
  origin?: string;
  factory?: SocketFactory;
  reconnectMs?: number;
  pingMs?: number;
  /** maximum JSON messages kept while disconnected */
  maxQueue?: number;
}

const OPEN = 1;

/** wsURL builds the socket address for a character. */
export function wsURL(origin: string, name: string, token: string): string {
  const u = new URL(origin);
  const proto = u.protocol === 'https:' ? 'wss:' : 'ws:';
  const q = token ? `?token=${encodeURIComponent(token)}` : '';
  return `${proto}//${u.host}/ws/${encodeURIComponent(name)}${q}`;
}

type Listener<T> = (v: T) => void;

export class NekoSocket {
  private name: string;
  private readonly token: string;
  private readonly origin: string;
  private readonly factory: SocketFactory;
  private readonly reconnectMs: number;
  private readonly pingMs: number;
  private readonly maxQueue: number;
  private sock: SocketLike | null = null;
  private stopped = true;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private pendingHeaders: (string | null)[] = [];
  private queue: string[] = [];
  private readonly msgListeners = new Set<Listener<ServerMessage>>();
  private readonly audioListeners = new Set<Listener<AudioFrame>>();
  private readonly stateListeners = new Set<Listener<ConnState>>();
  private state: ConnState = 'closed';

  constructor(opts: NekoSocketOptions) {
    this.name = opts.name;
    this.token = opts.token;
    this.origin = opts.origin ?? wsOrigin() ?? globalThis.location?.origin ?? 'http://127.0.0.1:48911';
    this.factory = opts.factory ?? ((url) => new WebSocket(url) as unknown as SocketLike);
    this.reconnectMs = opts.reconnectMs ?? 3000;
    this.pingMs = opts.pingMs ?? 30000;
    this.maxQueue = opts.maxQueue ?? 200;
  }

  get characterName(): string {
    return this.name;
  }
  get connState(): ConnState {
    return this.state;
  }

  onMessage(fn: Listener<ServerMessage>): () => void {
    this.msgListeners.add(fn);
    return () => this.msgListeners.delete(fn);
  }
  onAudio(fn: Listener<AudioFrame>): () => void {
    this.audioListeners.add(fn);
    return () => this.audioListeners.delete(fn);
  }
  onState(fn: Listener<ConnState>): () => void {
    this.stateListeners.add(fn);
    return () => this.stateListeners.delete(fn);
  }

  /** start opens the socket and keeps it open until stop(). */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.open();
  }

  /** stop closes the socket for good (no reconnect). */
  stop(): void {
    this.stopped = true;
    this.clearTimers();
    const s = this.sock;
    this.sock = null;
    if (s) {
      s.onclose = null;
      s.onmessage = null;
      s.close(1000, 'client stop');
    }
    this.setState('closed');
  }

  /** switchTo reconnects to another character's socket (after catgirl_switched). */
  switchTo(name: string): void {
    this.stop();
    this.name = name;
    this.start();
  }

  /** send sends a JSON message; while disconnected it is queued (oldest dropped past maxQueue). */
  send(msg: Record<string, unknown>): boolean {
    const text = JSON.stringify(msg);
    if (this.sock && this.sock.readyState === OPEN) {
      this.sock.send(text);
      return true;
    }
    this.queue.push(text);
    if (this.queue.length > this.maxQueue) this.queue.shift();
    return false;
  }

  /** sendBinary sends a binary frame (mic audio); dropped while disconnected, as live audio is stale. */
  sendBinary(data: ArrayBuffer | ArrayBufferView): boolean {
    if (!this.sock || this.sock.readyState !== OPEN) return false;
    this.sock.send(data);
    return true;
  }

  private setState(s: ConnState): void {
    if (this.state === s) return;
    this.state = s;
    for (const fn of this.stateListeners) fn(s);
  }

  private clearTimers(): void {
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.reconnectTimer = null;
    this.pingTimer = null;
  }

  private open(): void {
    this.setState('connecting');
    this.pendingHeaders = [];
    let s: SocketLike;
    try {
      s = this.factory(wsURL(this.origin, this.name, this.token));
    } catch {
      this.scheduleReconnect();
      return;
    }
    s.binaryType = 'arraybuffer';
    this.sock = s;
    s.onopen = () => {
      if (this.sock !== s) return;
      this.setState('open');
      const queued = this.queue;
      this.queue = [];
      for (const t of queued) s.send(t);
      this.pingTimer = setInterval(() => {
        if (s.readyState === OPEN) s.send(JSON.stringify({ action: 'ping' }));
      }, this.pingMs);
    };
    s.onmessage = (ev) => {
      if (this.sock === s) this.handle(ev.data);
    };
    s.onerror = () => {
      /* onclose follows and reconnects */
    };
    s.onclose = () => {
      if (this.sock !== s) return;
      this.sock = null;
      this.clearTimers();
      this.setState('closed');
      this.scheduleReconnect();
    };
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.reconnectTimer) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (!this.stopped) this.open();
    }, this.reconnectMs);
  }

  private handle(data: unknown): void {
    if (typeof data === 'string') {
      let msg: unknown;
      try {
        msg = JSON.parse(data);
      } catch {
        return; // not JSON: ignore, the protocol only sends JSON text frames
      }
      if (!msg || typeof msg !== 'object' || typeof (msg as ServerMessage).type !== 'string') return;
      const m = msg as ServerMessage;
      if (m.type === 'audio_chunk') {
        // local_playback: the desktop plays this chunk itself; the page must not play it twice.
        this.pendingHeaders.push(m.local_playback === true ? null : String(m.speech_id ?? ''));
        return;
      }
      for (const fn of this.msgListeners) fn(m);
      return;
    }
    let buf: ArrayBuffer | null = null;
    if (data instanceof ArrayBuffer) buf = data;
    else if (ArrayBuffer.isView(data)) {
      const v = data as ArrayBufferView;
      buf = new Uint8Array(v.buffer, v.byteOffset, v.byteLength).slice().buffer;
    }
    if (!buf) return;
    // A binary frame without a header has no speech id: it cannot be matched, so it is dropped.
    const speechId = this.pendingHeaders.shift();
    if (speechId === undefined || speechId === null) return;
    for (const fn of this.audioListeners) fn({ speechId, data: buf });
  }
}

/**
 * wsOrigin is the main server's origin when the page is served through the desktop window's asset
 * proxy (which cannot carry WebSockets): the server names it in <meta name="neko-ws-origin">.
 */
export function wsOrigin(doc: Document | undefined = globalThis.document): string | undefined {
  const v = doc?.querySelector('meta[name="neko-ws-origin"]')?.getAttribute('content') ?? '';
  if (!v || typeof globalThis.location === 'undefined') return undefined;
  // Only needed when the page is not on the server's own origin.
  return globalThis.location.origin === v ? undefined : v;
}
