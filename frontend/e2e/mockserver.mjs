// A test server for the end-to-end tests: serves dist/ the way the Go main server does (static
// files, index.html with the token meta for every page route), a scripted WebSocket that speaks
// the reference §5 protocol, and in-memory REST APIs with the original's shapes (reference §4).
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve } from 'node:path';
import { WebSocketServer } from 'ws';

const MIME = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json',
  '.png': 'image/png', '.vrm': 'application/octet-stream', '.moc3': 'application/octet-stream', '.moc': 'application/octet-stream', '.mtn': 'text/plain' };

/** tone makes PCM s16le 48 kHz mono: `ms` milliseconds of a sine. */
export function tone(ms, freq = 440, amp = 0.4) {
  const n = Math.round((48000 * ms) / 1000);
  const b = Buffer.alloc(n * 2);
  for (let i = 0; i < n; i++) b.writeInt16LE(Math.round(Math.sin((2 * Math.PI * freq * i) / 48000) * amp * 32767), i * 2);
  return b;
}

/** oggPageGroups splits an OGG file into chunks of whole pages (the headers go with the first audio page). */
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

function initialState() {
  return {
    characters: {
      主人: { 档案名: '哥哥', 性别: '男' },
      猫娘: {
        test: { 性别: '女', 昵称: 'T酱', system_prompt: 'You are {LANLAN_NAME}.', model_type: 'live2d', live2d: 'haru_greeter', voice_id: '' },
        vrmchan: { 性别: '女', system_prompt: '', model_type: 'vrm', vrm: '/static/vrm/default.vrm', voice_id: '',
          lighting: { ambient: 0.5, main: 1.2, fill: 0.5, rim: 0.8, top: 0.3, bottom: 0.15, exposure: 1, toneMapping: 4 } },
        shizuku: { 性别: '女', system_prompt: '', model_type: 'live2d', live2d: 'shizuku', voice_id: '' },
      },
      当前猫娘: 'test',
    },
    preferences: [],
    core: { coreApi: 'qwen', api_key: '', assistApi: 'qwen', enableCustomApi: false, conversationModelUrl: '', ttsVoiceId: '' },
    vrmMapping: {},
    l2dMapping: { motions: { happy: ['motion/haru_g_m05.motion3.json'] }, expressions: {} },
    recent: { 'recent_test.json': JSON.stringify([
      { type: 'system', data: { content: '先前对话的备忘录: 无。' } },
      { type: 'human', data: { content: [{ type: 'text', text: 'I like cats' }] } },
      { type: 'ai', data: { content: [{ type: 'text', text: 'Me too!' }] } },
    ]) },
    review: true,
    agentFlags: { agent_enabled: false, computer_use_enabled: false, browser_use_enabled: false, user_plugin_enabled: false },
    analyzer: false,
    approvals: [{ id: 'a1', task_id: 't1', step: 1, description: 'click "OK"', window: 'Dialog' }],
    vrmUploads: [],
    voices: { 'voice-tone-x': { voice_id: 'voice-tone-x' } },
    uploads: 0,
    archive: { original: [
      { id: 1, session_id: 's', role: 'human', text: 'We talked about the sea trip', timestamp: '2026-11-01T10:00:00Z' },
      { id: 2, session_id: 's', role: 'ai', text: 'I remember the seagulls', timestamp: '2026-11-01T10:00:05Z' },
    ], compressed: [{ id: 7, session_id: 's', role: 'system', text: 'Summary: a trip to the sea', timestamp: '2026-11-02T00:00:00Z' }] },
  };
}

const MODELS = {
  test: ['/static/live2d/haru_greeter/haru_greeter_t03.model3.json', 'live2d'],
  shizuku: ['/static/live2d/shizuku/shizuku.model.json', 'live2d'],
  vrmchan: ['/static/vrm/default.vrm', 'vrm'],
};

export async function startMockServer({ dist, token = 'tok-e2e' } = {}) {
  const script = { lateFrames: false };
  const root = resolve(dist);
  const st = initialState();
  const log = { ws: [], binaryIn: 0, rest: [] };
  // like the Go server: the token meta goes first in <head>
  const index = (await readFile(join(root, 'index.html'), 'utf8')).replace('<head>', `<head><meta name="neko-token" content="${token}">`);

  const json = (res, code, body) => {
    res.writeHead(code, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const readBody = (req) => new Promise((ok, fail) => {
    const parts = [];
    req.on('data', (c) => parts.push(c));
    req.on('end', () => ok(Buffer.concat(parts)));
    req.on('error', fail);
  });

  async function api(req, res, url) {
    const p = url.pathname;
    const m = req.method;
    if (m !== 'GET' && req.headers['x-neko-token'] !== token) return json(res, 403, { success: false, error: 'bad token' });
    const raw = m === 'GET' ? Buffer.alloc(0) : await readBody(req);
    const isJson = (req.headers['content-type'] ?? '').includes('json');
    const body = isJson && raw.length ? JSON.parse(raw.toString('utf8')) : {};
    log.rest.push(`${m} ${p}`);
    const cats = st.characters.猫娘;
    let mm;
    if (p === '/api/config/user_language') return json(res, 200, { success: true, language: st.language ?? 'en' });
    if (p === '/api/config/page_config') {
      const name = url.searchParams.get('lanlan_name') || st.characters.当前猫娘;
      const [model_path, model_type] = MODELS[name] ?? MODELS.test;
      return json(res, 200, { success: true, lanlan_name: name, model_path, model_type });
    }
    if (p === '/api/config/preferences' && m === 'GET') return json(res, 200, st.preferences);
    if (p === '/api/config/preferences' && m === 'POST') {
      st.preferences = [body, ...st.preferences.filter((e) => e.model_path !== body.model_path)];
      return json(res, 200, { success: true });
    }
    if (p === '/api/config/character_reserved_fields') return json(res, 200, { success: true, all_reserved_fields: ['_reserved', 'live2d', 'voice_id', 'system_prompt', 'model_type', 'vrm', 'vrm_animation', 'lighting', 'vrm_rotation', 'live2d_item_id', 'item_id', 'idleAnimation'] });
    if (p === '/api/config/core_api' && m === 'GET') return json(res, 200, { success: true, ...st.core });
    if (p === '/api/config/core_api' && m === 'POST') {
      st.core = { ...st.core, ...body, api_key: body.coreApiKey ?? st.core.api_key };
      return json(res, 200, { success: true, message: 'saved', sessions_ended: 0 });
    }
    if (p === '/api/config/api_providers') return json(res, 200, { success: true, core_api_providers: [{ key: 'qwen', name: 'Qwen' }, { key: 'openai', name: 'OpenAI' }], assist_api_providers: [{ key: 'qwen', name: 'Qwen' }, { key: 'openai', name: 'OpenAI' }] });
    if (p === '/api/config/test_connection') {
      return json(res, 200, body.api_key === 'good-key' ? { success: true, ok: true } : { success: true, ok: false, code: 'API_KEY_REJECTED' });
    }
    if (p === '/api/emotion/analysis') return json(res, 200, { emotion: 'happy', confidence: 0.9 });
    if (p === '/api/characters/' || p === '/api/characters') return json(res, 200, st.characters);
    if (p === '/api/characters/master') { st.characters.主人 = body; return json(res, 200, { success: true }); }
    if (p === '/api/characters/current_catgirl' && m === 'POST') { st.characters.当前猫娘 = body.catgirl_name; return json(res, 200, { success: true }); }
    if (p === '/api/characters/catgirl' && m === 'POST') { cats[body.档案名] = { system_prompt: '', model_type: 'live2d' }; return json(res, 200, { success: true }); }
    if (p === '/api/characters/get_microphone') return json(res, 200, { microphone_id: 'gone-device-id' });
    if (p === '/api/characters/voices') return json(res, 200, { voices: st.voices, voice_owners: {} });
    if (p === '/api/characters/voice_clone') {
      const text = raw.toString('latin1');
      const prefix = /name="prefix"\r\n\r\n([^\r]*)/.exec(text)?.[1];
      if (!prefix || !/filename="/.test(text)) return json(res, 400, { error: 'file and prefix required' });
      st.voices[`cosyvoice-${prefix}`] = { voice_id: `cosyvoice-${prefix}` };
      return json(res, 200, { voice_id: `cosyvoice-${prefix}`, message: 'ok' });
    }
    if ((mm = /^\/api\/characters\/catgirl\/l2d\/(.+)$/.exec(p))) {
      const c = cats[decodeURIComponent(mm[1])];
      Object.assign(c, body);
      return json(res, 200, { success: true });
    }
    if ((mm = /^\/api\/characters\/catgirl\/voice_id\/(.+)$/.exec(p))) {
      cats[decodeURIComponent(mm[1])].voice_id = body.voice_id;
      return json(res, 200, { success: true, session_restarted: false, voice_id_changed: true });
    }
    if ((mm = /^\/api\/characters\/catgirl\/([^/]+)$/.exec(p))) {
      const name = decodeURIComponent(mm[1]);
      if (m === 'DELETE') { delete cats[name]; return json(res, 200, { success: true }); }
      if (!cats[name]) return json(res, 404, { success: false, error: 'no such character' });
      for (const [k, v] of Object.entries(body)) cats[name][k] = v;
      return json(res, 200, { success: true });
    }
    if (p === '/api/live2d/models') return json(res, 200, [
      { name: 'haru_greeter', display_name: 'haru_greeter', path: MODELS.test[0], source: 'static' },
      { name: 'shizuku', display_name: 'shizuku', path: MODELS.shizuku[0], source: 'static' },
    ]);
    if (p.startsWith('/api/live2d/emotion_mapping/')) {
      if (m === 'POST') st.l2dMapping = body;
      return json(res, 200, { success: true, config: st.l2dMapping });
    }
    if (p.startsWith('/api/live2d/model_files/')) return json(res, 200, { success: true, motion_files: ['motion/haru_g_m05.motion3.json'], expression_files: [] });
    if (p === '/api/live2d/upload_model') {
      st.uploads++;
      const names = [...raw.toString('latin1').matchAll(/filename="([^"]*)"/g)].map((x) => x[1]);
      if (names.filter((n) => n.endsWith('.model3.json')).length !== 1) return json(res, 400, { success: false, error: 'exactly one .model3.json is required' });
      return json(res, 200, { success: true });
    }
    if (p === '/api/model/vrm/models') return json(res, 200, { success: true, models: [
      { name: 'default', filename: 'default.vrm', url: '/static/vrm/default.vrm', type: 'vrm', location: 'project' }, ...st.vrmUploads] });
    if (p === '/api/model/vrm/upload') {
      st.uploads++;
      const text = raw.toString('latin1');
      const name = /filename="([^"]*)"/.exec(text)?.[1] ?? '';
      const at = text.indexOf('\r\n\r\n');
      if (!name.endsWith('.vrm') || text.slice(at + 4, at + 8) !== 'glTF') return json(res, 400, { success: false, error: 'not a VRM file' });
      st.vrmUploads.push({ name: name.replace(/\.vrm$/, ''), filename: name, url: '/static/vrm/default.vrm', type: 'vrm', location: 'user' });
      return json(res, 200, { success: true, filename: name });
    }
    if (p.startsWith('/api/model/vrm/emotion_mapping/')) {
      if (m === 'POST') st.vrmMapping = body;
      return json(res, 200, { success: true, config: st.vrmMapping });
    }
    if (p === '/api/memory/recent_files') return json(res, 200, { files: Object.keys(st.recent) });
    if (p === '/api/memory/recent_file') return json(res, 200, { content: st.recent[url.searchParams.get('filename')] ?? '[]' });
    if (p === '/api/memory/recent_file/save') {
      st.recent[body.filename] = JSON.stringify(body.chat.map((c) => ({ type: c.role, data: { content: c.text } })));
      return json(res, 200, { success: true, need_refresh: true, catgirl_name: 'test' });
    }
    if (p === '/api/memory/characters') return json(res, 200, { characters: ['test'] });
    if ((mm = /^\/api\/memory\/([^/]+)\/archive\/(original|compressed)(?:\/(\d+))?$/.exec(p))) {
      const rows = st.archive[mm[2]];
      if (!mm[3]) {
        const q = (url.searchParams.get('q') ?? '').toLowerCase();
        const items = q ? rows.filter((r) => r.text.toLowerCase().includes(q)).map((r) => ({ ...r, score: 0.5 })) : rows;
        return json(res, 200, q ? { items } : { items, total: rows.length });
      }
      const id = Number(mm[3]);
      const row = rows.find((r) => r.id === id);
      if (!row) return json(res, 404, { error: 'no such memory' });
      if (m === 'PUT') { row.text = body.text; return json(res, 200, { success: true }); }
      if (m === 'DELETE') { st.archive[mm[2]] = rows.filter((r) => r.id !== id); return json(res, 200, { success: true, deleted: 1 }); }
    }
    if (p === '/api/memory/review_config') {
      if (m === 'POST') st.review = body.enabled;
      return json(res, 200, { success: true, enabled: st.review });
    }
    if (p === '/api/agent/flags' && m === 'GET') return json(res, 200, { success: true, agent_flags: st.agentFlags, analyzer_enabled: st.analyzer });
    if (p === '/api/agent/flags' && m === 'POST') { Object.assign(st.agentFlags, body.flags); return json(res, 200, { success: true }); }
    if (p === '/api/agent/command') { st.analyzer = !!body.enabled; return json(res, 200, { success: true }); }
    if (p.endsWith('/availability')) return json(res, 200, { ready: false, reasons: ['AGENT_MODEL_NOT_CONFIGURED'] });
    if (p === '/api/agent/tasks') return json(res, 200, { tasks: [{ id: 't1', type: 'computer_use', status: 'running', params: { instruction: 'open notes' }, step: 1, step_total: 3 }] });
    if (p === '/api/agent/computer_use/approvals') return json(res, 200, { approvals: st.approvals });
    if ((mm = /^\/api\/agent\/computer_use\/approvals\/(.+)$/.exec(p))) {
      st.approvals = st.approvals.filter((a) => a.id !== decodeURIComponent(mm[1]));
      st.lastApproval = body;
      return json(res, 200, { success: true });
    }
    if (p.startsWith('/api/steam/workshop/')) return json(res, 503, { success: false, error: 'Steamworks not available' });
    return json(res, 404, { success: false, error: `no mock for ${m} ${p}` });
  }

  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url, 'http://127.0.0.1');
      if (url.pathname.startsWith('/api/')) return await api(req, res, url);
      const rel = normalize(decodeURIComponent(url.pathname)).replace(/^\/+/, '');
      if (rel.includes('..')) return json(res, 400, { error: 'bad path' });
      const file = join(root, rel);
      if (rel && (await stat(file).catch(() => null))?.isFile()) {
        res.writeHead(200, { 'Content-Type': MIME[extname(file)] ?? 'application/octet-stream' });
        return res.end(await readFile(file));
      }
      if (extname(rel)) return json(res, 404, { error: 'not found' });
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(index);
    } catch (err) {
      json(res, 500, { error: String(err) });
    }
  });

  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, sock, head) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    if (!url.pathname.startsWith('/ws/') || url.searchParams.get('token') !== token) {
      sock.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, sock, head, (ws) => onSocket(ws, decodeURIComponent(url.pathname.slice(4))));
  });

  let speech = 0;
  let currentSpeech = '';
  function onSocket(ws, name) {
    const send = (o) => ws.send(JSON.stringify(o));
    const audio = (id, buf) => { send({ type: 'audio_chunk', speech_id: id }); ws.send(buf); };
    ws.on('message', (data, isBinary) => {
      if (isBinary) { log.binaryIn++; return; }
      const msg = JSON.parse(data.toString());
      log.ws.push({ name, ...msg });
      if (msg.action === 'ping') return send({ type: 'pong' });
      if (msg.action === 'start_session') {
        send({ type: 'session_preparing', input_mode: msg.input_type });
        setTimeout(() => send({ type: 'session_started', input_mode: msg.input_type }), 50);
        return;
      }
      if (msg.action === 'stream_data' && msg.input_type === 'text' && msg.data === 'task') {
        send({ type: 'agent_task_update', task: { id: 't9', status: 'running', type: 'computer_use', params: { instruction: 'open notes' }, step: 1, step_total: 3 } });
        return;
      }
      if (msg.action === 'stream_data' && msg.input_type === 'text') {
        if (currentSpeech) send({ type: 'user_activity', interrupted_speech_id: currentSpeech });
        const old = currentSpeech;
        const id = `speech-${++speech}`;
        currentSpeech = id;
        // After a barge-in, a late frame of the interrupted speech still arrives: it must be dropped.
        if (old && script.lateFrames) audio(old, tone(100, 300));
        const words = (script.reply ?? 'Hello there, nice to meet you!').split(/(?<= )/);
        words.forEach((w, i) => setTimeout(() => send({ type: 'gemini_response', text: w, isNewMessage: i === 0 }), 30 * i));
        const groups = msg.data === 'opus' && script.opus ? oggPageGroups(script.opus, 3) : null;
        const chunks = groups ? groups.length : msg.data === 'long' ? 30 : 4;
        for (let i = 0; i < chunks; i++) setTimeout(() => audio(id, groups ? groups[i] : tone(200, 440)), 30 * words.length + 20 * i);
        setTimeout(() => send({ type: 'system', data: 'turn end' }), 30 * words.length + 20 * chunks + 20);
        return;
      }
      if (msg.action === 'stream_data' && msg.input_type === 'screen') return;
      if (msg.action === 'end_session') return;
    });
    ws.on('error', () => undefined);
  }

  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`, token, state: st, log, script,
    close: () => new Promise((ok) => { for (const c of wss.clients) c.terminate(); wss.close(); server.close(() => ok()); server.closeAllConnections?.(); }),
  };
}
