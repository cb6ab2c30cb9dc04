// End-to-end tests of the settings pages: each saves a change and reads it back after a reload.
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

export function settingsTests({ assert, until, artifacts }) {
  const open = async (page, srv, path) => {
    await page.goto(srv.url + path);
    await page.waitForSelector('body[data-ready="1"]', { timeout: 20000 });
  };
  const msgIs = async (page, kind) => {
    await page.waitForSelector(`[data-testid=msg].${kind}`, { timeout: 10000 });
    return page.textContent('[data-testid=msg]');
  };
  /** clearMsg empties the message line so the next msgIs sees only the next result. */
  const clearMsg = (page) => page.evaluate(() => {
    const m = document.querySelector('[data-testid=msg]');
    m.textContent = '';
    m.className = 'msg';
  });
  const shot = (page, name) => page.screenshot({ path: join(artifacts, name), fullPage: true });

  return [
    ['character manager saves the system prompt, a field and the model binding', async ({ page, srv }) => {
      await open(page, srv, '/chara_manager');
      await page.fill('[data-testid=system-prompt]', 'You are a cheerful cat.');
      await page.selectOption('[data-testid=model-type]', 'vrm');
      await page.selectOption('[data-testid=vrm-model]', '/static/vrm/default.vrm');
      await page.click('[data-testid=chara-save]');
      await msgIs(page, 'ok');
      await page.reload();
      await page.waitForSelector('body[data-ready="1"]');
      assert(await page.inputValue('[data-testid=system-prompt]') === 'You are a cheerful cat.', 'prompt read back');
      assert(await page.inputValue('[data-testid=model-type]') === 'vrm', 'model type read back');
      assert(srv.state.characters.猫娘.test.vrm === '/static/vrm/default.vrm', 'binding stored');
      assert(srv.state.characters.猫娘.test.昵称 === 'T酱', 'free-form fields kept');
      await page.fill('[data-testid=master-name]', 'Brother');
      await page.click('[data-testid=master-save]');
      await msgIs(page, 'ok');
      assert(srv.state.characters.主人.档案名 === 'Brother' && srv.state.characters.主人.性别 === '男', 'master saved with its fields');
      await shot(page, 'page-characters.png');
    }],
    ['provider settings save a key, and the connectivity check reports each key', async ({ page, srv }) => {
      await open(page, srv, '/api_key');
      await page.fill('[data-testid=coreApiKey]', 'bad-key');
      await page.click('[data-testid=coreApiKey] ~ button');
      await page.waitForSelector('[data-testid=coreApiKey-check].error');
      const bad = await page.textContent('[data-testid=coreApiKey-check]');
      assert(/rejected/i.test(bad), `rejected key shown translated (${bad})`);
      await page.fill('[data-testid=coreApiKey]', 'good-key');
      await page.click('[data-testid=coreApiKey] ~ button');
      await page.waitForSelector('[data-testid=coreApiKey-check].ok');
      await page.selectOption('[data-testid=coreApi]', 'openai');
      await page.click('[data-testid=save]');
      await msgIs(page, 'ok');
      await page.reload();
      await page.waitForSelector('body[data-ready="1"]');
      assert(await page.inputValue('[data-testid=coreApiKey]') === 'good-key', 'key read back');
      assert(await page.inputValue('[data-testid=coreApi]') === 'openai', 'provider read back');
      await shot(page, 'page-providers.png');
    }],
    ['model manager refuses a broken VRM and a folder without a model, uploads a VRM with progress', async ({ page, srv }) => {
      await open(page, srv, '/model_manager');
      const dir = mkdtempSync(join(tmpdir(), 'neko-upl-'));
      try {
        const broken = join(dir, 'broken.vrm');
        writeFileSync(broken, 'this is not a VRM file at all');
        const uploadsBefore = srv.state.uploads;
        await page.setInputFiles('[data-testid=vrm-input]', broken);
        const m1 = await msgIs(page, 'error');
        assert(/not a valid VRM/.test(m1), `clear message for a broken VRM (${m1})`);
        // a truncated real VRM: right magic, wrong length
        const good = readFileSync(resolve(here, '..', 'public', 'static', 'vrm', 'default.vrm'));
        const cut = join(dir, 'cut.vrm');
        writeFileSync(cut, good.subarray(0, 4000));
        await clearMsg(page);
        await page.setInputFiles('[data-testid=vrm-input]', cut);
        assert(/not a valid VRM/.test(await msgIs(page, 'error')), 'truncated VRM refused');
        const folder = join(dir, 'notamodel');
        mkdirSync(folder);
        writeFileSync(join(folder, 'readme.txt'), 'hi');
        await clearMsg(page);
        await page.setInputFiles('[data-testid=live2d-input]', folder);
        const m2 = await msgIs(page, 'error');
        assert(/no \.model3\.json/.test(m2), `clear message for a folder without a model (${m2})`);
        assert(srv.state.uploads === uploadsBefore, 'nothing was sent to the server');
        const ok = join(dir, 'mine.vrm');
        writeFileSync(ok, good);
        await clearMsg(page);
        await page.setInputFiles('[data-testid=vrm-input]', ok);
        await msgIs(page, 'ok');
        assert(await page.evaluate(() => document.querySelector('[data-testid=progress]').value) === 1, 'progress bar full');
        await until(async () => (await page.textContent('[data-testid=model-list]')).includes('mine'), 'uploaded model listed');
        await page.click('[data-testid=model-list] tr:has-text("mine") button');
        await page.waitForFunction(() => document.querySelector('[data-testid=preview]')?.dataset.avatar === 'vrm', null, { timeout: 20000 });
        await shot(page, 'page-models.png');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }],
    ['VRM emotion mapping saves and reads back', async ({ page, srv }) => {
      await open(page, srv, '/vrm_emotion_manager');
      await page.fill('[data-testid=vrm-happy]', 'happy, relaxed');
      await page.click('[data-testid=save]');
      await msgIs(page, 'ok');
      assert(JSON.stringify(srv.state.vrmMapping.happy) === '["happy","relaxed"]', 'mapping stored as arrays');
      await page.reload();
      await page.waitForSelector('body[data-ready="1"]');
      await until(async () => (await page.inputValue('[data-testid=vrm-happy]')) === 'happy, relaxed', 'mapping read back');
      await shot(page, 'page-vrm-emotions.png');
    }],
    ['Live2D emotion mapping saves and reads back', async ({ page, srv }) => {
      await open(page, srv, '/live2d_emotion_manager');
      await page.fill('[data-testid=mot-sad]', 'motion/haru_g_m10.motion3.json');
      await page.click('[data-testid=save]');
      await msgIs(page, 'ok');
      await page.reload();
      await page.waitForSelector('body[data-ready="1"]');
      await until(async () => (await page.inputValue('[data-testid=mot-sad]')) === 'motion/haru_g_m10.motion3.json', 'mapping read back');
      assert(srv.state.l2dMapping.motions.happy[0] === 'motion/haru_g_m05.motion3.json', 'other emotions kept');
    }],
    ['memory browser edits, deletes and saves a recent memory file', async ({ page, srv }) => {
      await open(page, srv, '/memory_browser');
      await page.fill('[data-testid=line-1]', 'I like cats and dogs');
      await page.click('[data-testid=del-2]');
      await page.click('[data-testid=save]');
      await msgIs(page, 'ok');
      await page.reload();
      await page.waitForSelector('body[data-ready="1"]');
      await until(async () => (await page.inputValue('[data-testid=line-1]')) === 'I like cats and dogs', 'edit read back');
      assert(await page.locator('[data-testid=line-2]').count() === 0, 'deleted line gone');
      await page.fill('[data-testid=search]', 'dogs');
      assert(await page.locator('textarea[data-testid^=line-]').count() === 1, 'search filters lines');
      // long-term layers: search, edit, delete
      await page.fill('[data-testid=archive-query]', 'seagulls');
      await page.click('[data-testid=archive-search]');
      await until(async () => (await page.locator('[data-testid=archive-text-1]').count()) === 0 &&
        (await page.locator('[data-testid=archive-text-2]').count()) === 1, 'recall filters the layer');
      await page.fill('[data-testid=archive-text-2]', 'I remember the seagulls and the wind');
      await page.click('[data-testid=archive-save-2]');
      await until(() => srv.state.archive.original.find((r) => r.id === 2)?.text.endsWith('wind'), 'archive edit saved');
      await page.fill('[data-testid=archive-query]', '');
      await page.selectOption('[data-testid=archive-layer]', 'compressed');
      await page.waitForSelector('[data-testid=archive-text-7]');
      await page.click('[data-testid=archive-del-7]');
      await until(() => srv.state.archive.compressed.length === 0, 'archive row deleted');
      await shot(page, 'page-memory.png');
    }],
    ['agent panel saves a flag and answers an approval', async ({ page, srv }) => {
      await open(page, srv, '/agent');
      await page.check('[data-testid=computer_use_enabled]');
      await msgIs(page, 'ok');
      await page.reload();
      await page.waitForSelector('body[data-ready="1"]');
      assert(await page.isChecked('[data-testid=computer_use_enabled]'), 'flag read back');
      assert((await page.textContent('[data-testid=tasks]')).includes('open notes'), 'task HUD lists the task');
      await page.click('[data-testid=approvals] button.primary');
      await until(async () => (await page.textContent('[data-testid=approvals]')).includes('Nothing to approve'), 'approval answered');
      assert(srv.state.lastApproval?.approved === true, 'approval sent');
      await shot(page, 'page-agent.png');
    }],
    ['workshop page explains that Steam is unavailable', async ({ page, srv }) => {
      await open(page, srv, '/steam_workshop_manager');
      await until(async () => (await page.textContent('[data-testid=items]')).includes('Steam is not running'), 'unavailable message');
    }],
    ['voice clone uploads a sample and lists the new voice', async ({ page, srv }) => {
      await open(page, srv, '/voice_clone');
      await page.setInputFiles('[data-testid=audio]', { name: 'sample.wav', mimeType: 'audio/wav', buffer: Buffer.alloc(4800) });
      await page.fill('[data-testid=prefix]', 'bad prefix!');
      await page.click('[data-testid=clone]');
      await msgIs(page, 'error');
      await page.fill('[data-testid=prefix]', 'mine');
      await page.click('[data-testid=clone]');
      await msgIs(page, 'ok');
      await page.reload();
      await page.waitForSelector('body[data-ready="1"]');
      assert((await page.textContent('[data-testid=voices]')).includes('cosyvoice-mine'), 'voice listed after reload');
      await shot(page, 'page-voice-clone.png');
    }],
  ];
}
