// Starts the real headless neko binary and its scripted test provider (`neko testprovider`) on free
// loopback ports with a fresh data folder, for the end-to-end tests. Without NEKO_BIN the binary is
// built first (`CGO_ENABLED=0 go build -o build/bin/neko .` in the repository root; Go's cache makes
// this a no-op when nothing changed, and it re-embeds a fresh frontend/dist).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** binary returns the neko binary to test: NEKO_BIN, else a fresh build of build/bin/neko. */
export function binary() {
  if (process.env.NEKO_BIN) return resolve(process.env.NEKO_BIN);
  const out = join(repo, 'build', 'bin', 'neko');
  execFileSync('go', ['build', '-o', out, '.'], {
    cwd: repo, stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, CGO_ENABLED: '0', GOFLAGS: '-buildvcs=false' },
  });
  return out;
}

const freePort = () => new Promise((ok, fail) => {
  const s = createServer();
  s.once('error', fail);
  s.listen(0, '127.0.0.1', () => {
    const { port } = s.address();
    s.close(() => ok(port));
  });
});

function spawnReady(bin, args, readyText, env = process.env) {
  const p = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  let out = '';
  const ready = new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`${args[0]} not ready in 60 s: ${out.slice(-3000)}`)), 60000);
    const on = (d) => {
      out += d;
      if (out.length > 1 << 20) out = out.slice(-(1 << 19));
      if (out.includes(readyText)) {
        clearTimeout(timer);
        ok();
      }
    };
    p.stdout.on('data', on);
    p.stderr.on('data', on);
    p.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`${args[0]} exited ${code}: ${out.slice(-3000)}`));
    });
  });
  ready.catch(() => undefined);
  return { p, ready, log: () => out };
}

/** stop sends SIGTERM and waits for the exit (SIGKILL after 10 s). */
const stop = (s) => new Promise((ok) => {
  if (s.p.exitCode !== null || s.p.signalCode !== null) return ok();
  const t = setTimeout(() => s.p.kill('SIGKILL'), 10000);
  s.p.once('exit', () => {
    clearTimeout(t);
    ok();
  });
  s.p.kill('SIGTERM');
});

/**
 * startDisplay runs Xvfb on a free display number, so the agent's computer use (which needs a
 * display) is available to the server. Returns { display, stop } or null without Xvfb (required
 * under CI=true; locally the agent test then takes its "no display" path).
 */
async function startDisplay() {
  if (!existsSync('/usr/bin/Xvfb')) {
    if (process.env.CI === 'true') throw new Error('Xvfb is required under CI (apt-get install xvfb)');
    return null;
  }
  for (let n = 90; n < 140; n++) {
    if (existsSync(`/tmp/.X${n}-lock`) || existsSync(`/tmp/.X11-unix/X${n}`)) continue;
    const p = spawn('/usr/bin/Xvfb', [`:${n}`, '-screen', '0', '1280x720x24', '-nolisten', 'tcp'], { stdio: 'ignore' });
    const exited = new Promise((ok) => p.once('exit', () => ok(true)));
    const up = await Promise.race([exited, (async () => {
      for (let i = 0; i < 50 && !existsSync(`/tmp/.X11-unix/X${n}`); i++) await new Promise((r) => setTimeout(r, 100));
      return false;
    })()]);
    if (up === true) continue; // lost the race for this number
    if (!existsSync(`/tmp/.X11-unix/X${n}`)) {
      p.kill('SIGKILL');
      continue;
    }
    return { display: `:${n}`, stop: () => new Promise((ok) => { if (p.exitCode !== null) return ok(); p.once('exit', () => ok()); p.kill('SIGTERM'); }) };
  }
  return null;
}

/** WORKSHOP_ITEM is the id of the Steam workshop item planted in the server's home folder. */
export const WORKSHOP_ITEM = '3001';

/**
 * plantHome makes the server's home folder: a Steam library whose workshop content folder (App ID
 * 4099310) holds one item with a character card, as Steam would have downloaded it.
 */
function plantHome(home) {
  const item = join(home, '.steam', 'steam', 'steamapps', 'workshop', 'content', '4099310', WORKSHOP_ITEM);
  mkdirSync(item, { recursive: true });
  writeFileSync(join(item, 'Mimi.chara.json'), JSON.stringify({ 档案名: 'Mimi', 性别: '女', 描述: 'a workshop cat', 标签: ['cat'], system_prompt: 'You are Mimi.' }));
}

/**
 * startRealServer runs `neko testprovider` and `neko serve` and returns
 * { url, provider, data, token, api(method, path, body), log(), close() }.
 * api() calls the real REST API with the page token (what the page itself does).
 */
export async function startRealServer() {
  const bin = binary();
  const data = mkdtempSync(join(tmpdir(), 'neko-e2e-data-'));
  const home = mkdtempSync(join(tmpdir(), 'neko-e2e-home-'));
  plantHome(home);
  // English server locale, so the page language follows the browser (the language test sets it)
  const env = { ...process.env, HOME: home, LANG: '', LC_ALL: '', LC_MESSAGES: '' };
  let x = null;
  try {
    x = await startDisplay();
  } catch (err) {
    rmSync(data, { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
    throw err;
  }
  if (x) env.DISPLAY = x.display;
  else delete env.DISPLAY;
  const [main, memory, agent, z1, z2, z3, prov] = await Promise.all(Array.from({ length: 7 }, freePort));
  const provider = spawnReady(bin, ['testprovider', '-port', String(prov)], 'test provider listening');
  const server = spawnReady(bin, ['serve', '-data', data, '-main-port', String(main), '-memory-port', String(memory),
    '-agent-port', String(agent), '-zmq-session-port', String(z1), '-zmq-agent-port', String(z2), '-zmq-analyze-port', String(z3)],
  'neko is ready', env);
  const close = async () => {
    await Promise.all([stop(server), stop(provider)]);
    await x?.stop();
    rmSync(data, { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
  };
  try {
    await Promise.all([provider.ready, server.ready]);
  } catch (err) {
    await close();
    throw err;
  }
  const url = `http://127.0.0.1:${main}`;
  const html = await (await fetch(url + '/')).text();
  const token = /<meta name="neko-token" content="([^"]+)"/.exec(html)?.[1];
  if (!token) {
    await close();
    throw new Error('the page has no neko-token meta');
  }
  const api = async (method, path, body) => {
    const init = { method, headers: { 'X-Neko-Token': token } };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const r = await fetch(url + path, init);
    const text = await r.text();
    let json;
    try {
      json = JSON.parse(text);
    } catch {
      json = text;
    }
    if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text.slice(0, 300)}`);
    return json;
  };
  return { url, provider: `http://127.0.0.1:${prov}/v1`, providerWS: `ws://127.0.0.1:${prov}`, data, home, token, api, display: x?.display ?? '', log: () => server.log(), close };
}
