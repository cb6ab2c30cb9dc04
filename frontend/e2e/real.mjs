// End-to-end smoke tests against the real headless neko binary and its scripted test provider
// (`neko testprovider`). Usage: NEKO_BIN=/path/to/neko npm run e2e:real
// The binary must embed the current frontend/dist. Without NEKO_BIN the suite is skipped.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch } from './browser.mjs';

const artifacts = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'test-artifacts');
mkdirSync(artifacts, { recursive: true });
const bin = process.env.NEKO_BIN;
if (!bin) {
  console.log('NEKO_BIN not set: real-server suite skipped');
  console.log('0 passed, 0 failed, 1 skipped');
  process.exit(0);
}

const freePort = () => new Promise((ok, fail) => {
  const s = createServer();
  s.once('error', fail);
  s.listen(0, '127.0.0.1', () => {
    const { port } = s.address();
    s.close(() => ok(port));
  });
});

function start(args, readyText) {
  const p = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const ready = new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`${args[0]} not ready: ${out.slice(-2000)}`)), 30000);
    const on = (d) => {
      out += d;
      if (out.includes(readyText)) {
        clearTimeout(timer);
        ok();
      }
    };
    p.stdout.on('data', on);
    p.stderr.on('data', on);
    p.once('exit', (code) => fail(new Error(`${args[0]} exited ${code}: ${out.slice(-2000)}`)));
  });
  return { p, ready, log: () => out };
}

const assert = (c, m) => { if (!c) throw new Error(`assertion failed: ${m}`); };
const data = mkdtempSync(join(tmpdir(), 'neko-real-'));
const [main, memory, agent, z1, z2, z3, prov] = await Promise.all(Array.from({ length: 7 }, freePort));
const provider = start(['testprovider', '-port', String(prov)], 'test provider listening');
const server = start(['serve', '-data', data, '-main-port', String(main), '-memory-port', String(memory), '-agent-port', String(agent),
  '-zmq-session-port', String(z1), '-zmq-agent-port', String(z2), '-zmq-analyze-port', String(z3)], 'neko is ready');
const base = `http://127.0.0.1:${main}`;
let passed = 0;
let failed = 0;
let browser;
try {
  await Promise.all([provider.ready, server.ready]);
  browser = await launch();
  const tests = [
    ['page loads and the default Live2D avatar renders', async (page) => {
      await page.goto(base + '/');
      await page.waitForFunction(() => document.querySelector('[data-testid=stage]')?.dataset.avatar, null, { timeout: 30000 });
      const px = await page.evaluate(() => window.__neko.stage.current?.opaquePixels() ?? 0);
      assert(px > 5000, `avatar pixels (${px})`);
      await page.screenshot({ path: join(artifacts, 'real-home.png') });
    }],
    ['provider settings point the conversation model at the test provider and read back', async (page) => {
      await page.goto(base + '/api_key');
      await page.waitForSelector('[data-testid=save]');
      await page.check('[data-testid=enableCustomApi]');
      await page.fill('[data-testid=conversationModelUrl]', `http://127.0.0.1:${prov}/v1`);
      await page.fill('[data-testid=conversationModelId]', 'test-model');
      await page.fill('[data-testid=conversationModelApiKey]', 'sk-test');
      await page.fill('[data-testid=coreApiKey]', 'sk-test');
      await page.click('[data-testid=save]');
      await page.waitForSelector('[data-testid=msg].ok', { timeout: 10000 });
      await page.reload();
      await page.waitForSelector('[data-testid=save]');
      assert(await page.inputValue('[data-testid=conversationModelUrl]') === `http://127.0.0.1:${prov}/v1`, 'URL read back');
    }],
    ['a text message gets a streamed reply from the test provider', async (page) => {
      await page.goto(base + '/');
      await page.waitForFunction(() => window.__neko?.socket.connState === 'open', null, { timeout: 20000 });
      await page.fill('[data-testid=chat-input]', 'hello');
      await page.press('[data-testid=chat-input]', 'Enter');
      await page.waitForFunction(() => (document.querySelector('[data-testid=ai-bubble]')?.textContent ?? '').length > 0, null, { timeout: 20000 });
      await page.screenshot({ path: join(artifacts, 'real-chat.png') });
    }],
    ['the character manager saves the system prompt and reads it back', async (page) => {
      await page.goto(base + '/chara_manager');
      await page.waitForSelector('[data-testid=system-prompt]');
      await page.fill('[data-testid=system-prompt]', 'You are {LANLAN_NAME}, a calm cat.');
      await page.click('[data-testid=chara-save]');
      await page.waitForSelector('[data-testid=msg].ok', { timeout: 10000 });
      await page.reload();
      await page.waitForSelector('[data-testid=system-prompt]');
      assert(await page.inputValue('[data-testid=system-prompt]') === 'You are {LANLAN_NAME}, a calm cat.', 'prompt read back');
    }],
  ];
  for (const [name, fn] of tests) {
    const page = await browser.context.newPage();
    try {
      await fn(page);
      passed++;
      console.log(`ok   ${name}`);
    } catch (err) {
      failed++;
      console.log(`FAIL ${name}: ${err.stack ?? err}`);
      await page.screenshot({ path: join(artifacts, `FAIL-real-${passed + failed}.png`) }).catch(() => undefined);
    } finally {
      await page.close();
    }
  }
} catch (err) {
  failed++;
  console.log(`FAIL setup: ${err.stack ?? err}`);
} finally {
  await browser?.close();
  // stop both and wait for them (SIGKILL after 10 s) before removing the data folder
  await Promise.all([server, provider].map((s) => new Promise((ok) => {
    if (s.p.exitCode !== null || s.p.signalCode !== null) return ok();
    const t = setTimeout(() => s.p.kill('SIGKILL'), 10000);
    s.p.once('exit', () => {
      clearTimeout(t);
      ok();
    });
    s.p.kill('SIGTERM');
  })));
  rmSync(data, { recursive: true, force: true });
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
