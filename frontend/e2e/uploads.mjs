// End-to-end tests of the model manager against the real server: a Live2D folder and a VRM upload
// with a progress bar, preview, emotion mapping of the uploaded model, delete; and broken uploads,
// which must get a clear translated message and leave nothing half-written in the data folder.
import { closeSync, cpSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, ftruncateSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { clearMsg, msgIs, open } from './settings.mjs';
import { assert, sleep, until } from './util.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const publicDir = resolve(here, '..', 'public', 'static');

/** files lists every file under dir (recursively), relative to it. */
function files(dir) {
  try {
    return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile())
      .map((e) => join(e.parentPath ?? e.path, e.name).slice(dir.length + 1)).sort();
  } catch {
    return [];
  }
}

/** modelFiles is every file in the user model folders (the VRM animation folder is empty at start). */
const modelFiles = (srv) => [...files(join(srv.data, 'live2d')).map((f) => `live2d/${f}`), ...files(join(srv.data, 'vrm')).map((f) => `vrm/${f}`)];

/** dropUpload starts a multipart upload that promises `total` bytes, sends half, then cuts the connection. */
function dropUpload(srv, path, filename, head) {
  return new Promise((ok) => {
    const boundary = 'neko-e2e-boundary';
    const pre = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`);
    const total = pre.length + 4 * 1024 * 1024;
    const req = request(srv.url + path, { method: 'POST', headers: {
      'Content-Type': `multipart/form-data; boundary=${boundary}`, 'Content-Length': String(total), 'X-Neko-Token': srv.token,
    } });
    req.on('error', () => ok());
    req.on('response', (res) => { res.resume(); ok(); });
    req.write(pre);
    req.write(head);
    req.write(Buffer.alloc(1024 * 1024, 7), () => setTimeout(() => { req.destroy(); ok(); }, 200));
  });
}

export function uploadTests({ artifacts }) {
  const shot = (page, name) => page.screenshot({ path: join(artifacts, name), fullPage: true });
  const rows = (page) => page.textContent('[data-testid=model-list]');

  return [
    ['model manager uploads a Live2D folder with progress, previews it, maps its emotions, deletes it', async ({ page, srv }) => {
      page.on('dialog', (d) => d.accept());
      const dir = mkdtempSync(join(tmpdir(), 'neko-upl-'));
      try {
        cpSync(join(publicDir, 'live2d', 'haru_greeter'), join(dir, 'myharu'), { recursive: true });
        await open(page, srv, '/model_manager');
        await clearMsg(page);
        await page.setInputFiles('[data-testid=live2d-input]', join(dir, 'myharu'));
        await msgIs(page, 'ok');
        assert(await page.evaluate(() => document.querySelector('[data-testid=progress]').value) === 1, 'progress bar full');
        await until(async () => (await rows(page)).includes('myharu'), 'uploaded model listed');
        assert(files(join(srv.data, 'live2d', 'myharu')).includes('haru_greeter_t03.model3.json'), 'model written to the data folder');
        await page.click('[data-testid=preview-myharu]');
        await page.waitForFunction(() => document.querySelector('[data-testid=preview]')?.dataset.avatar === 'live2d', null, { timeout: 30000 });
        await shot(page, 'page-models-live2d.png');
        // the uploaded copy's emotion mapping can be edited (the bundled one is read-only)
        await open(page, srv, '/live2d_emotion_manager?model=myharu');
        await page.waitForSelector('[data-testid=mot-sad]');
        await page.fill('[data-testid=mot-sad]', 'motion/haru_g_m10.motion3.json');
        await page.fill('[data-testid=exp-happy]', '');
        await clearMsg(page);
        await page.click('[data-testid=save]');
        await msgIs(page, 'ok');
        await page.reload();
        await page.waitForSelector('[data-testid=mot-sad]');
        await until(async () => (await page.inputValue('[data-testid=mot-sad]')) === 'motion/haru_g_m10.motion3.json', 'mapping read back');
        const m = await srv.api('GET', '/api/live2d/emotion_mapping/myharu');
        assert(JSON.stringify(m.config.motions.sad) === '["motion/haru_g_m10.motion3.json"]', `stored on the server (${JSON.stringify(m.config.motions)})`);
        await shot(page, 'page-live2d-emotions.png');
        // the bundled model refuses, with a translated message
        await open(page, srv, '/live2d_emotion_manager?model=haru_greeter');
        await page.waitForSelector('[data-testid=mot-sad]');
        await clearMsg(page);
        await page.click('[data-testid=save]');
        const ro = await msgIs(page, 'error');
        assert(/Bundled models cannot be changed/.test(ro), `read-only message (${ro})`);
        // delete
        await open(page, srv, '/model_manager');
        await clearMsg(page);
        await page.click('[data-testid=delete-myharu]');
        await msgIs(page, 'ok');
        await until(async () => !(await rows(page)).includes('myharu'), 'model gone from the list');
        assert(files(join(srv.data, 'live2d')).length === 0, `model folder removed (${files(join(srv.data, 'live2d'))})`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }],
    ['a persistent (常驻) expression is applied at load and stays on through emotion changes', async ({ page, srv }) => {
      page.on('dialog', (d) => d.accept());
      const dir = mkdtempSync(join(tmpdir(), 'neko-upl-'));
      try {
        // a copy of haru with two expressions: tears (to be persistent) and a smile that clears them
        const folder = join(dir, 'tearharu');
        cpSync(join(publicDir, 'live2d', 'haru_greeter'), folder, { recursive: true });
        const mj = join(folder, 'haru_greeter_t03.model3.json');
        const model = JSON.parse(readFileSync(mj, 'utf8'));
        model.FileReferences.Expressions = [{ Name: 'tear', File: 'exp/tear.exp3.json' }, { Name: 'smile', File: 'exp/smile.exp3.json' }];
        writeFileSync(mj, JSON.stringify(model));
        mkdirSync(join(folder, 'exp'));
        writeFileSync(join(folder, 'exp', 'tear.exp3.json'), JSON.stringify({ Type: 'Live2D Expression', Parameters: [{ Id: 'ParamTear', Value: 1, Blend: 'Overwrite' }] }));
        writeFileSync(join(folder, 'exp', 'smile.exp3.json'), JSON.stringify({ Type: 'Live2D Expression', FadeInTime: 0.1,
          Parameters: [{ Id: 'ParamEyeLSmile', Value: 1, Blend: 'Overwrite' }, { Id: 'ParamTear', Value: 0, Blend: 'Overwrite' }] }));
        await open(page, srv, '/model_manager');
        await clearMsg(page);
        await page.setInputFiles('[data-testid=live2d-input]', folder);
        await msgIs(page, 'ok');
        await open(page, srv, '/live2d_emotion_manager?model=tearharu');
        await page.waitForSelector('[data-testid="exp-常驻"]');
        await page.fill('[data-testid="exp-常驻"]', 'exp/tear.exp3.json');
        await page.fill('[data-testid=exp-happy]', 'exp/smile.exp3.json');
        await clearMsg(page);
        await page.click('[data-testid=save]');
        await msgIs(page, 'ok');
        await srv.api('POST', '/api/characters/catgirl', { 档案名: 'tearcat' });
        await srv.api('PUT', '/api/characters/catgirl/l2d/tearcat', { model_type: 'live2d', live2d: 'tearharu/haru_greeter_t03.model3.json' });
        await page.goto(`${srv.url}/tearcat`);
        await page.waitForFunction(() => document.querySelector('[data-testid=stage]')?.dataset.avatar === 'live2d', null, { timeout: 30000 });
        // parameters are read inside a frame, after the model applied everything (the model restores
        // its saved parameters after each frame)
        const param = (id) => page.evaluate((x) => new Promise((ok) => {
          const im = window.__neko.stage.current.model.internalModel;
          im.once('beforeModelUpdate', () => ok(im.coreModel.getParameterValueById(x)));
        }), id);
        assert(await page.evaluate(() => window.__neko.stage.current.persistentCount) === 1, 'persistent expression loaded');
        await until(async () => (await param('ParamTear')) === 1, 'tears on at load');
        await page.evaluate(() => window.__neko.stage.current.setEmotion('happy'));
        await until(async () => (await param('ParamEyeLSmile')) > 0.9, 'the happy expression plays');
        await sleep(300);
        assert(await param('ParamTear') === 1, 'tears stay on through the emotion change');
        await page.screenshot({ path: join(artifacts, 'live2d-persistent.png') });
        await srv.api('DELETE', '/api/characters/catgirl/tearcat');
        await srv.api('DELETE', '/api/live2d/model/tearharu');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }],
    ['model manager uploads a VRM with progress, previews it, deletes it', async ({ page, srv }) => {
      page.on('dialog', (d) => d.accept());
      const dir = mkdtempSync(join(tmpdir(), 'neko-upl-'));
      try {
        const ok = join(dir, 'mine.vrm');
        writeFileSync(ok, readFileSync(join(publicDir, 'vrm', 'default.vrm')));
        await open(page, srv, '/model_manager');
        await clearMsg(page);
        await page.setInputFiles('[data-testid=vrm-input]', ok);
        await msgIs(page, 'ok');
        assert(await page.evaluate(() => document.querySelector('[data-testid=progress]').value) === 1, 'progress bar full');
        await until(async () => (await rows(page)).includes('mine'), 'uploaded model listed');
        assert(files(join(srv.data, 'vrm')).includes('mine.vrm'), 'VRM written to the data folder');
        await page.click('[data-testid=preview-mine]');
        await page.waitForFunction(() => document.querySelector('[data-testid=preview]')?.dataset.avatar === 'vrm', null, { timeout: 30000 });
        await shot(page, 'page-models-vrm.png');
        await page.reload();
        await page.waitForSelector('body[data-ready="1"]');
        await until(async () => (await rows(page)).includes('mine'), 'listed after reload');
        await clearMsg(page);
        await page.click('[data-testid=delete-mine]');
        await msgIs(page, 'ok');
        await until(async () => !(await rows(page)).includes('mine'), 'VRM gone from the list');
        assert(!files(join(srv.data, 'vrm')).includes('mine.vrm'), 'VRM file removed');
        assert(await page.locator('[data-testid=delete-default]').count() === 0, 'the bundled VRM has no delete button');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }],
    ['broken model uploads get a clear translated message and leave nothing half-written', async ({ page, srv }) => {
      const dir = mkdtempSync(join(tmpdir(), 'neko-bad-'));
      const uploads = [];
      page.on('request', (r) => { if (r.method() === 'POST' && /upload/.test(r.url())) uploads.push(r.url()); });
      try {
        const before = modelFiles(srv);
        await open(page, srv, '/model_manager');
        const tryFile = async (input, path) => {
          await clearMsg(page);
          await page.setInputFiles(`[data-testid=${input}]`, path);
          return msgIs(page, 'error');
        };
        // a "VRM" that is not glTF at all
        writeFileSync(join(dir, 'broken.vrm'), 'this is not a VRM file at all');
        assert(/not a valid VRM/.test(await tryFile('vrm-input', join(dir, 'broken.vrm'))), 'not glTF');
        // a truncated real VRM: right magic, wrong length
        writeFileSync(join(dir, 'cut.vrm'), readFileSync(join(publicDir, 'vrm', 'default.vrm')).subarray(0, 4000));
        assert(/not a valid VRM/.test(await tryFile('vrm-input', join(dir, 'cut.vrm'))), 'truncated');
        // over the 200 MB cap (a sparse file: nothing is read but its header)
        const big = join(dir, 'big.vrm');
        const fd = openSync(big, 'w');
        ftruncateSync(fd, 201 * 1024 * 1024);
        closeSync(fd);
        assert(/larger than 200 MB/.test(await tryFile('vrm-input', big)), 'oversize');
        // a folder without a model3.json
        mkdirSync(join(dir, 'notamodel'));
        writeFileSync(join(dir, 'notamodel', 'readme.txt'), 'hi');
        assert(/no \.model3\.json/.test(await tryFile('live2d-input', join(dir, 'notamodel'))), 'no model3.json');
        assert(uploads.length === 0, `nothing was sent for what the page can check (${uploads})`);
        // a model3.json that is not JSON passes the page's check; the server refuses it
        mkdirSync(join(dir, 'badjson'));
        writeFileSync(join(dir, 'badjson', 'bad.model3.json'), '{ "Version": 3, ');
        writeFileSync(join(dir, 'badjson', 'bad.moc3'), Buffer.alloc(2048, 1));
        const m = await tryFile('live2d-input', join(dir, 'badjson'));
        assert(/^Upload failed: The server refused the model/.test(m), `server refusal translated (${m})`);
        assert(await page.evaluate(() => document.querySelector('[data-testid=progress]').value) === 0, 'progress bar reset');
        // a VRM whose header is right (the page's check passes) but whose body is not glTF: the server
        // checks the stream and discards it
        const fake = Buffer.alloc(4096);
        fake.write('glTF', 0);
        fake.writeUInt32LE(2, 4);
        fake.writeUInt32LE(fake.length, 8);
        writeFileSync(join(dir, 'hollow.vrm'), fake);
        const hv = await tryFile('vrm-input', join(dir, 'hollow.vrm'));
        assert(/^Upload failed: The server refused the model/.test(hv), `server refusal of a hollow VRM (${hv})`);
        // the same messages in Japanese
        await page.setExtraHTTPHeaders({ 'Accept-Language': 'ja' });
        await open(page, srv, '/model_manager');
        const ja = await tryFile('live2d-input', join(dir, 'badjson'));
        assert(/サーバーがモデルを拒否しました/.test(ja), `Japanese message (${ja})`);
        // uploads cut off half-way (the page cannot do this; a raw client can)
        const gltf = readFileSync(join(publicDir, 'vrm', 'default.vrm')).subarray(0, 12);
        await dropUpload(srv, '/api/model/vrm/upload', 'dropped.vrm', gltf);
        await dropUpload(srv, '/api/live2d/upload_model', 'dropped/dropped.model3.json', Buffer.from('{"Version":3,'));
        await sleep(500);
        const after = modelFiles(srv);
        assert(JSON.stringify(after) === JSON.stringify(before), `no partial files in the data folder (before ${before}, after ${after})`);
        await shot(page, 'page-models-broken.png');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }],
  ];
}
