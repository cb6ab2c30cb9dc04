// End-to-end tests of the settings pages against the real server: each saves a change through the
// page, and the change is read back after a reload (and from the server's own API or data folder).
import { join } from 'node:path';
import { WORKSHOP_ITEM } from './realserver.mjs';
import { assert, until } from './util.mjs';

export const open = async (page, srv, path) => {
  await page.goto(srv.url + path);
  await page.waitForSelector('body[data-ready="1"]', { timeout: 40000 });
};

/** msgIs waits for the page's message line to show an ok/error result and returns its text. */
export const msgIs = async (page, kind) => {
  await page.waitForSelector(`[data-testid=msg].${kind}`, { timeout: 30000 });
  return page.textContent('[data-testid=msg]');
};

/** clearMsg empties the message line so the next msgIs sees only the next result. */
export const clearMsg = (page) => page.evaluate(() => {
  const m = document.querySelector('[data-testid=msg]');
  m.textContent = '';
  m.className = 'msg';
});

export function settingsTests({ artifacts, home }) {
  const shot = (page, name) => page.screenshot({ path: join(artifacts, name), fullPage: true });
  const reload = async (page) => {
    await page.reload();
    await page.waitForSelector('body[data-ready="1"]');
  };

  return [
    ['character manager creates a character, saves prompt, fields, model and voice binding, makes it current, deletes it', async ({ page, srv }) => {
      page.on('dialog', (d) => d.accept());
      await open(page, srv, '/chara_manager');
      await page.fill('[data-testid=new-name]', 'Kiki');
      await clearMsg(page);
      await page.click('[data-testid=create]');
      await msgIs(page, 'ok');
      await until(async () => (await page.inputValue('[data-testid=chara-select]')) === 'Kiki', 'new character selected');
      await page.fill('[data-testid=system-prompt]', 'You are a cheerful cat.');
      await page.selectOption('[data-testid=model-type]', 'vrm');
      await page.selectOption('[data-testid=vrm-model]', '/static/vrm/default.vrm');
      await clearMsg(page);
      await page.click('[data-testid=chara-save]');
      await msgIs(page, 'ok');
      await reload(page);
      await page.selectOption('[data-testid=chara-select]', 'Kiki');
      const readBack = async () => [await page.inputValue('[data-testid=system-prompt]'), await page.inputValue('[data-testid=model-type]'),
        await page.inputValue('[data-testid=vrm-model]')].join('|');
      await until(async () => (await readBack()) === 'You are a cheerful cat.|vrm|/static/vrm/default.vrm', 'prompt and binding read back', 10000)
        .catch(async (e) => { throw new Error(`${e.message}: ${await readBack()}`); });
      const kiki = (await srv.api('GET', '/api/characters/')).猫娘.Kiki;
      assert(kiki.system_prompt === 'You are a cheerful cat.' && kiki.model_type === 'vrm', `stored on the server (${JSON.stringify(kiki)})`);
      const pc = await srv.api('GET', '/api/config/page_config?lanlan_name=Kiki');
      assert(pc.model_type === 'vrm' && pc.model_path === '/static/vrm/default.vrm', `page config follows the binding (${JSON.stringify(pc)})`);
      // the master profile
      await page.fill('[data-testid=master-name]', 'Brother');
      await clearMsg(page);
      await page.click('[data-testid=master-save]');
      await msgIs(page, 'ok');
      await reload(page);
      assert(await page.inputValue('[data-testid=master-name]') === 'Brother', 'master name read back');
      const chars = await srv.api('GET', '/api/characters/');
      assert(chars.主人.档案名 === 'Brother' && chars.主人.性别 === '男', `master saved with its other fields (${JSON.stringify(chars.主人)})`);
      await shot(page, 'page-characters.png');
      // make current, then delete (the server refuses to delete the current one, so switch back first)
      await page.selectOption('[data-testid=chara-select]', 'Kiki');
      await page.waitForSelector('[data-testid=make-current]');
      await clearMsg(page);
      await page.click('[data-testid=make-current]');
      await msgIs(page, 'ok');
      assert((await srv.api('GET', '/api/characters/')).当前猫娘 === 'Kiki', 'Kiki is current');
      await srv.api('POST', '/api/characters/current_catgirl', { catgirl_name: 'test' });
      await reload(page);
      await page.selectOption('[data-testid=chara-select]', 'Kiki');
      await page.waitForSelector('[data-testid=delete]');
      await clearMsg(page);
      await page.click('[data-testid=delete]');
      await msgIs(page, 'ok');
      await until(async () => !(await srv.api('GET', '/api/characters/')).猫娘.Kiki, 'Kiki deleted on the server');
    }],
    ['provider settings save keys and the custom models, read back; the Test button checks a key live', async ({ page, srv }) => {
      await open(page, srv, '/api_key');
      await page.fill('[data-testid=assistApiKeyOpenai]', 'sk-assist-key-0001');
      await page.fill('[data-testid=summaryModelId]', 'test-summary');
      await clearMsg(page);
      await page.click('[data-testid=save]');
      await msgIs(page, 'ok');
      await reload(page);
      // keys come back masked (never in a page), with their last four characters
      const masked = await page.inputValue('[data-testid=assistApiKeyOpenai]');
      assert(/^[*•]{4,}0001$/.test(masked), `key read back masked (${masked})`);
      assert(await page.inputValue('[data-testid=summaryModelId]') === 'test-summary', 'custom model read back');
      assert(await page.inputValue('[data-testid=conversationModelUrl]') === srv.provider, 'other fields kept');
      assert(await page.isChecked('[data-testid=enableCustomApi]'), 'custom switch kept');
      // the live check of a catalog key: this machine has no route to the provider, so the check must
      // come back (not hang) with a translated error, not a success
      await page.click('[data-testid=assistApiKeyOpenai] ~ button');
      await page.waitForSelector('[data-testid=assistApiKeyOpenai-check].error', { timeout: 40000 });
      const text = await page.textContent('[data-testid=assistApiKeyOpenai-check]');
      assert(!/LLM_CONNECTION_FAILED|\{/.test(text) && text.length > 5, `a translated message, not a code (${text})`);
      // saving the page again sends the masked key back: the server keeps the real one
      await clearMsg(page);
      await page.click('[data-testid=save]');
      await msgIs(page, 'ok');
      await reload(page);
      assert(await page.inputValue('[data-testid=assistApiKeyOpenai]') === masked, 'masked round trip keeps the key');
      // the live check of the custom endpoints, against the test provider: chat and TTS answer
      for (const m of ['conversation', 'tts']) {
        await page.click(`[data-testid=${m}-test]`);
        await page.waitForSelector(`[data-testid=${m}-check].ok`, { timeout: 40000 });
      }
      // an endpoint nobody listens on: a translated failure, then the good URL again
      await page.fill('[data-testid=emotionModelUrl]', 'http://127.0.0.1:9/v1');
      await page.click('[data-testid=emotion-test]');
      await page.waitForSelector('[data-testid=emotion-check].error', { timeout: 40000 });
      const down = await page.textContent('[data-testid=emotion-check]');
      assert(/refused the connection|Could not reach the model/.test(down), `unreachable endpoint reported (${down})`);
      await page.fill('[data-testid=emotionModelUrl]', srv.provider);
      await page.click('[data-testid=emotion-test]');
      await page.waitForSelector('[data-testid=emotion-check].ok', { timeout: 40000 });
      await shot(page, 'page-providers.png');
    }],
    ['VRM emotion mapping saves and reads back', async ({ page, srv }) => {
      await open(page, srv, '/vrm_emotion_manager');
      await page.fill('[data-testid=vrm-happy]', 'happy, relaxed');
      await clearMsg(page);
      await page.click('[data-testid=save]');
      await msgIs(page, 'ok');
      await reload(page);
      await until(async () => (await page.inputValue('[data-testid=vrm-happy]')) === 'happy, relaxed', 'mapping read back');
      const r = await srv.api('GET', '/api/model/vrm/emotion_mapping/default');
      assert(JSON.stringify(r.config.happy) === '["happy","relaxed"]', `stored as arrays (${JSON.stringify(r)})`);
      await shot(page, 'page-vrm-emotions.png');
    }],
    ['memory browser: recent memory edit/delete/search, and search/edit/delete on the archive layers', async ({ page, srv }) => {
      // a real conversation first, so the memory server has something to show
      const chat = await page.context().newPage();
      try {
        await home(chat, srv);
        await chat.fill('[data-testid=chat-input]', 'I like cats and the sea');
        await chat.press('[data-testid=chat-input]', 'Enter');
        await chat.waitForFunction(() => (document.querySelector('[data-testid=ai-bubble]')?.textContent ?? '').endsWith('you!'), null, { timeout: 40000 });
      } finally {
        await chat.close(); // the session ends and settles into memory
      }
      await until(async () => ((await srv.api('GET', '/api/memory/recent_files')).files ?? []).includes('recent_test.json'), 'recent file written', 30000);
      await open(page, srv, '/memory_browser?file=recent_test.json');
      // recent memory: edit one line, delete another, save, read back
      const n = await page.locator('textarea[data-testid^=line-]').count();
      assert(n >= 2, `recent memory has lines (${n})`);
      const lines = await page.$$eval('textarea[data-testid^=line-]', (els) => els.map((e) => e.value));
      const cats = lines.findIndex((l) => l.includes('I like cats and the sea'));
      assert(cats >= 0, `the conversation is in recent memory (${JSON.stringify(lines)})`);
      await page.fill(`[data-testid=line-${cats}]`, 'I like cats and dogs');
      const drop = cats + 1; // the answer to it
      const dropped = lines[drop];
      await page.click(`[data-testid=del-${drop}]`);
      await clearMsg(page);
      await page.click('[data-testid=save]');
      await msgIs(page, 'ok');
      await reload(page);
      const after = await page.$$eval('textarea[data-testid^=line-]', (els) => els.map((e) => e.value));
      assert(after.includes('I like cats and dogs') && !after.includes('I like cats and the sea'), `edit read back (${JSON.stringify(after)})`);
      assert(after.length === lines.length - 1 || !after.includes(dropped), `deleted line gone (${after.length} of ${lines.length})`);
      await page.fill('[data-testid=search]', 'dogs');
      assert(await page.locator('textarea[data-testid^=line-]').count() === 1, 'search filters lines');
      // the long-term archive: recall, edit, delete on each layer
      await page.selectOption('[data-testid=archive-character]', 'test');
      await page.fill('[data-testid=archive-query]', 'cats sea');
      await page.click('[data-testid=archive-search]');
      await page.waitForSelector('[data-testid=archive-list][data-shown="original:cats sea"]');
      const hit = await until(async () => {
        const ids = await page.$$eval('textarea[data-testid^=archive-text-]', (els) => els.filter((e) => e.value.includes('I like cats and the sea')).map((e) => e.dataset.testid.slice('archive-text-'.length)));
        return ids[0];
      }, 'recall finds the turn');
      await page.fill(`[data-testid=archive-text-${hit}]`, 'I like cats, the sea and the wind');
      await clearMsg(page);
      await page.click(`[data-testid=archive-save-${hit}]`);
      await msgIs(page, 'ok');
      const orig = await srv.api('GET', '/api/memory/test/archive/original?limit=100');
      assert(orig.items.some((r) => String(r.id) === hit && r.text === 'I like cats, the sea and the wind'), `archive edit stored (${hit}: ${JSON.stringify(orig.items).slice(0, 2000)})`);
      await clearMsg(page);
      await page.click(`[data-testid=archive-del-${hit}]`);
      await msgIs(page, 'ok');
      const orig2 = await srv.api('GET', '/api/memory/test/archive/original?limit=100');
      assert(!orig2.items.some((r) => String(r.id) === hit), 'archive row deleted');
      // the compressed layer holds the session summary the memory server wrote at settle time
      await page.selectOption('[data-testid=archive-layer]', 'compressed');
      await page.fill('[data-testid=archive-query]', 'friendly chat');
      await page.click('[data-testid=archive-search]');
      await page.waitForSelector('[data-testid=archive-list][data-shown="compressed:friendly chat"]');
      const sum = await until(async () => {
        const ids = await page.$$eval('textarea[data-testid^=archive-text-]', (els) => els.filter((e) => e.value.includes('friendly chat')).map((e) => e.dataset.testid.slice('archive-text-'.length)));
        return ids[0];
      }, 'the session summary is found in the compressed layer');
      await page.fill(`[data-testid=archive-text-${sum}]`, 'A friendly chat about cats and the sea.');
      await clearMsg(page);
      await page.click(`[data-testid=archive-save-${sum}]`);
      await msgIs(page, 'ok');
      const comp = await srv.api('GET', '/api/memory/test/archive/compressed?limit=100');
      assert(comp.items.some((r) => String(r.id) === sum && r.text === 'A friendly chat about cats and the sea.'), `summary edit stored (${sum}: ${JSON.stringify(comp.items)})`);
      await clearMsg(page);
      await page.click(`[data-testid=archive-del-${sum}]`);
      await msgIs(page, 'ok');
      const comp2 = await srv.api('GET', '/api/memory/test/archive/compressed?limit=100');
      assert(!comp2.items.some((r) => String(r.id) === sum), 'summary deleted');
      await shot(page, 'page-memory.png');
    }],
    ['saving memory in another tab ends the session of the main window', async ({ page, srv, ws }) => {
      await home(page, srv);
      await page.fill('[data-testid=chat-input]', 'hello again');
      await page.press('[data-testid=chat-input]', 'Enter');
      await until(() => ws.received.some((m) => m.type === 'session_started'), 'session started');
      const other = await page.context().newPage();
      try {
        await open(other, srv, '/memory_browser?file=recent_test.json');
        const before = ws.sent.filter((m) => m.action === 'end_session').length;
        await other.click('[data-testid=save]');
        await until(() => ws.sent.filter((m) => m.action === 'end_session').length > before, 'end_session after memory_edited');
      } finally {
        await other.close();
      }
    }],
    ['agent panel switches the agent and computer use on and off, refuses plugins with a translated reason, reads back', async ({ page, srv }) => {
      await open(page, srv, '/agent');
      await clearMsg(page);
      await page.check('[data-testid=agent-enabled]');
      await msgIs(page, 'ok');
      await reload(page);
      assert(await page.isChecked('[data-testid=agent-enabled]'), 'master switch read back');
      assert((await srv.api('GET', '/api/agent/flags')).analyzer_enabled === true, 'on at the agent server');
      // computer use needs a display: the runner gives the server an Xvfb one
      await clearMsg(page);
      await page.click('[data-testid=computer_use_enabled]');
      if (srv.display) {
        await msgIs(page, 'ok');
        await reload(page);
        assert(await page.isChecked('[data-testid=computer_use_enabled]'), 'computer use read back');
        assert((await srv.api('GET', '/api/agent/flags')).agent_flags?.computer_use_enabled === true, 'on at the agent server');
      } else {
        const why = await msgIs(page, 'error');
        assert(/not available on this system|no display/i.test(why), `translated reason (${why})`);
      }
      // plugins: none are installed, the server refuses and the page says why
      await clearMsg(page);
      await page.click('[data-testid=user_plugin_enabled]');
      const why = await msgIs(page, 'error');
      assert(/No plugins were found/.test(why), `translated reason (${why})`);
      await reload(page);
      assert(!(await page.isChecked('[data-testid=user_plugin_enabled]')), 'the refused flag stays off after reload');
      const text = await page.textContent('.page');
      assert(!/AGENT_[A-Z_]+/.test(text), `reasons translated (${text.slice(0, 300)})`);
      await shot(page, 'page-agent.png');
      // and off again
      if (srv.display) {
        await clearMsg(page);
        await page.uncheck('[data-testid=computer_use_enabled]');
        await msgIs(page, 'ok');
      }
      await clearMsg(page);
      await page.uncheck('[data-testid=agent-enabled]');
      await msgIs(page, 'ok');
      await reload(page);
      assert(!(await page.isChecked('[data-testid=agent-enabled]')), 'master switch off read back');
      assert(!(await page.isChecked('[data-testid=computer_use_enabled]')), 'computer use off read back');
    }],
    ['workshop page lists the installed item and imports its character card', async ({ page, srv }) => {
      await open(page, srv, '/steam_workshop_manager');
      await until(async () => (await page.textContent('[data-testid=items]')).includes('Mimi'), 'item listed');
      // the server imported the card at start; a manual sync finds nothing new
      const mimi = (await srv.api('GET', '/api/characters/')).猫娘.Mimi;
      assert(mimi?.性别 === '女', `Mimi is a character (${JSON.stringify(mimi)})`);
      await clearMsg(page);
      await page.click('[data-testid=sync]');
      const m = await msgIs(page, 'ok');
      assert(/0\D+1/.test(m), `nothing added, one skipped (${m})`);
      await reload(page);
      await until(async () => (await page.textContent('[data-testid=items]')).includes('Mimi'), 'item listed after reload');
      await shot(page, 'page-workshop.png');
    }],
    ['voice clone registers a sample on the local TTS server and lists the voice after reload', async ({ page, srv }) => {
      // a local CosyVoice server (ws:// custom TTS URL): the test provider answers its registration API
      await srv.api('POST', '/api/config/core_api', { ttsModelUrl: srv.providerWS });
      try {
        await open(page, srv, '/voice_clone');
        await page.setInputFiles('[data-testid=audio]', { name: 'sample.wav', mimeType: 'audio/wav', buffer: wav(1.0) });
        await page.fill('[data-testid=prefix]', 'bad prefix!');
        await clearMsg(page);
        await page.click('[data-testid=clone]');
        await msgIs(page, 'error');
        await page.fill('[data-testid=prefix]', 'mine');
        await clearMsg(page);
        await page.click('[data-testid=clone]');
        const m = await msgIs(page, 'ok');
        assert(m.includes('mine'), `cloned voice named (${m})`);
        await reload(page);
        await until(async () => (await page.textContent('[data-testid=voices]')).includes('mine'), 'voice listed after reload');
        // not audio: the server says so
        await page.setInputFiles('[data-testid=audio]', { name: 'x.wav', mimeType: 'audio/wav', buffer: Buffer.from('not audio at all, just text') });
        await page.fill('[data-testid=prefix]', 'other');
        await clearMsg(page);
        await page.click('[data-testid=clone]');
        await msgIs(page, 'error');
        await shot(page, 'page-voice-clone.png');
      } finally {
        await srv.api('POST', '/api/config/core_api', { ttsModelUrl: srv.provider });
      }
    }],
  ];
}

/** wav is `seconds` of a 440 Hz tone as a 16 kHz mono WAV file. */
function wav(seconds) {
  const n = Math.round(16000 * seconds);
  const b = Buffer.alloc(44 + 2 * n);
  b.write('RIFF', 0);
  b.writeUInt32LE(36 + 2 * n, 4);
  b.write('WAVEfmt ', 8);
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(1, 20);
  b.writeUInt16LE(1, 22);
  b.writeUInt32LE(16000, 24);
  b.writeUInt32LE(32000, 28);
  b.writeUInt16LE(2, 32);
  b.writeUInt16LE(16, 34);
  b.write('data', 36);
  b.writeUInt32LE(2 * n, 40);
  for (let i = 0; i < n; i++) b.writeInt16LE(Math.round(Math.sin((2 * Math.PI * 440 * i) / 16000) * 8000), 44 + 2 * i);
  return b;
}
