// Helpers shared by the end-to-end test files.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function assert(cond, msg) {
  if (!cond) throw new Error(`assertion failed: ${msg}`);
}

/** until polls fn every 50 ms until it returns something truthy, or fails after ms. */
export async function until(fn, what, ms = 30000) {
  const start = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * watchSocket records what the page sends and receives on its WebSockets (the real protocol on the
 * wire): sent/received JSON messages and binary frame counts. Call before page.goto.
 */
export function watchSocket(page) {
  const w = { sent: [], received: [], binaryOut: 0, binaryIn: 0 };
  page.on('websocket', (ws) => {
    ws.on('framesent', (f) => {
      if (typeof f.payload === 'string') {
        try { w.sent.push(JSON.parse(f.payload)); } catch { /* not JSON */ }
      } else w.binaryOut++;
    });
    ws.on('framereceived', (f) => {
      if (typeof f.payload === 'string') {
        try { w.received.push(JSON.parse(f.payload)); } catch { /* not JSON */ }
      } else w.binaryIn++;
    });
  });
  return w;
}

/** makeOpus encodes one second of a 440 Hz tone as OGG/Opus with sox and opusenc (opus-tools). */
export function makeOpus() {
  const tools = ['/usr/bin/sox', '/usr/bin/opusenc'];
  if (!tools.every((t) => existsSync(t))) {
    if (process.env.CI === 'true') throw new Error('sox and opusenc are required under CI (apt-get install sox opus-tools)');
    return null;
  }
  const dir = mkdtempSync(join(tmpdir(), 'neko-opus-'));
  try {
    execFileSync('/usr/bin/sox', ['-n', '-r', '48000', '-c', '1', '-b', '16', join(dir, 't.wav'), 'synth', '1.0', 'sine', '440', 'vol', '0.5']);
    execFileSync('/usr/bin/opusenc', ['--quiet', '--max-delay', '60', join(dir, 't.wav'), join(dir, 't.opus')]);
    return readFileSync(join(dir, 't.opus'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** oggPageGroups splits an OGG file into chunks of whole pages (the headers go with the first chunk). */
export function oggPageGroups(buf, perGroup) {
  const pages = [];
  for (let o = 0; o < buf.length;) {
    const n = buf[o + 26];
    let len = 27 + n;
    for (let i = 0; i < n; i++) len += buf[o + 27 + i];
    pages.push(buf.subarray(o, o + len));
    o += len;
  }
  const groups = [Buffer.concat(pages.slice(0, 3))];
  for (let i = 3; i < pages.length; i += perGroup) groups.push(Buffer.concat(pages.slice(i, i + perGroup)));
  return groups;
}
