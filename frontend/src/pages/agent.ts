// Package pages/agent: the agent panel (/agent) — master switch and flags, availability, task HUD
// with cancel, and approvals for computer-use actions (reference §4.7, §10).

import type { PageContext } from '../context';
import { codeText, errorText, statusText } from '../i18n';
import { enc } from '../services/api';
import { h, nav, showMsg } from '../ui/dom';

const FLAGS = ['computer_use_enabled', 'browser_use_enabled', 'user_plugin_enabled'] as const;

interface Task { id: string; type?: string; status?: string; params?: { instruction?: string }; error?: string; step?: number; step_total?: number }
interface Approval { id?: string; task_id?: string; step?: number; description?: string; window?: string }

export async function renderAgent(ctx: PageContext): Promise<void> {
  const { api, i18n, root } = ctx;
  const t = (k: string) => i18n.t(k);
  const msg = h('div', { class: 'msg', 'data-testid': 'msg' });
  const master = h('input', { type: 'checkbox', 'data-testid': 'agent-enabled' });
  const flagBoxes = Object.fromEntries(FLAGS.map((f) => [f, h('input', { type: 'checkbox', 'data-testid': f })])) as Record<string, HTMLInputElement>;
  const avail = h('div', { class: 'hud' });
  const tasks = h('div', { class: 'hud', 'data-testid': 'tasks' });
  const approvals = h('div', { class: 'hud', 'data-testid': 'approvals' });
  root.replaceChildren(nav(i18n), h('div', { class: 'page' }, h('h1', {}, t('agent.title')), msg,
    h('div', { class: 'card' }, h('label', {}, master, ' ', t('agent.master')),
      ...FLAGS.map((f) => h('div', { class: 'row' }, h('label', {}, flagBoxes[f] ?? '', ' ', t(`agent.${f}`))))),
    h('div', { class: 'card' }, h('h2', {}, t('agent.availability')), avail),
    h('div', { class: 'card' }, h('h2', {}, t('agent.approvals')), approvals),
    h('div', { class: 'card' }, h('h2', {}, t('agent.tasks')), tasks)));

  const loadFlags = async () => {
    const r = await api.get<{ agent_flags?: Record<string, boolean>; analyzer_enabled?: boolean; notification?: string }>('/api/agent/flags');
    master.checked = r.analyzer_enabled === true || r.agent_flags?.agent_enabled === true;
    for (const f of FLAGS) if (flagBoxes[f]) flagBoxes[f].checked = r.agent_flags?.[f] === true;
    if (r.notification) showMsg(msg, statusText(i18n, r.notification), 'error');
  };
  master.addEventListener('change', async () => {
    try {
      await api.post('/api/agent/command', { command: 'set_agent_enabled', enabled: master.checked });
      showMsg(msg, t('common.saved'), 'ok');
    } catch (err) {
      showMsg(msg, errorText(i18n, err), 'error');
    }
    await loadFlags().catch(() => undefined);
  });
  for (const f of FLAGS) {
    flagBoxes[f]?.addEventListener('change', async () => {
      try {
        await api.post('/api/agent/flags', { flags: { [f]: flagBoxes[f]?.checked === true } });
        showMsg(msg, t('common.saved'), 'ok');
      } catch (err) {
        showMsg(msg, errorText(i18n, err), 'error');
      }
      await loadFlags().catch(() => undefined);
    });
  }

  const loadAvail = async () => {
    const rows: HTMLElement[] = [];
    for (const k of ['computer_use', 'browser_use']) {
      try {
        const r = await api.get<{ ready?: boolean; reasons?: string[] }>(`/api/agent/${k}/availability`);
        rows.push(h('div', {}, `${t(`agent.${k}`)}: ${r.ready ? t('agent.ready') : `${t('agent.notReady')} ${(r.reasons ?? []).map((c) => codeText(i18n, c)).join(' ')}`}`));
      } catch (err) {
        rows.push(h('div', {}, `${t(`agent.${k}`)}: ${errorText(i18n, err)}`));
      }
    }
    avail.replaceChildren(...rows);
  };

  const loadTasks = async () => {
    const r = await api.get<{ tasks?: Task[] }>('/api/agent/tasks').catch(() => ({ tasks: [] as Task[] }));
    const list = r.tasks ?? [];
    tasks.replaceChildren(...(list.length ? list.map((task) => {
      const row = h('div', { class: 'row' }, `${task.type ?? ''} · ${task.status ?? ''} · ${task.params?.instruction ?? ''}${task.step_total ? ` (${task.step ?? 0}/${task.step_total})` : ''}`);
      if (task.status === 'queued' || task.status === 'running') {
        row.append(h('button', { onclick: async () => {
          await api.post(`/api/agent/tasks/${enc(task.id)}/cancel`).catch((err: unknown) => showMsg(msg, errorText(i18n, err), 'error'));
          await loadTasks();
        } }, t('agent.cancel')));
      }
      return row;
    }) : [h('div', {}, t('agent.noTasks'))]));
  };

  const loadApprovals = async () => {
    const r = await api.get<{ approvals?: Approval[] }>('/api/agent/computer_use/approvals').catch(() => ({ approvals: [] as Approval[] }));
    const list = r.approvals ?? [];
    approvals.replaceChildren(...(list.length ? list.map((a) => {
      const id = a.id ?? `${a.task_id}:${a.step}`;
      const answer = async (approved: boolean) => {
        try {
          await api.post(`/api/agent/computer_use/approvals/${enc(id)}`, { approved });
          showMsg(msg, t(approved ? 'agent.approved' : 'agent.denied'), 'ok');
        } catch (err) {
          showMsg(msg, errorText(i18n, err), 'error');
        }
        await loadApprovals();
      };
      return h('div', { class: 'row' }, `${a.description ?? ''} ${a.window ? `(${a.window})` : ''}`,
        h('button', { class: 'primary', onclick: () => void answer(true) }, t('agent.approve')),
        h('button', { onclick: () => void answer(false) }, t('agent.deny')));
    }) : [h('div', {}, t('agent.noApprovals'))]));
  };

  await Promise.all([loadFlags().catch((err: unknown) => showMsg(msg, errorText(i18n, err), 'error')), loadAvail(), loadTasks(), loadApprovals()]);
  const timer = setInterval(() => {
    if (document.hidden) return;
    void loadTasks();
    void loadApprovals();
  }, 3000);
  window.addEventListener('pagehide', () => clearInterval(timer), { once: true });
}
