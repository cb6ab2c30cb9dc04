// Package chat/hud: the agent task HUD of the main window, fed by agent_task_update and
// agent_status_update messages (reference §5.3, §10.3).

import type { I18n } from '../i18n';
import type { ServerMessage } from '../services/ws';
import { h } from '../ui/dom';

interface Task {
  id: string;
  status?: string;
  type?: string;
  params?: { instruction?: string; description?: string; plugin_name?: string };
  step?: number;
  step_total?: number;
  message?: string;
}

const DONE = new Set(['completed', 'failed', 'cancelled']);

export class TaskHud {
  readonly el: HTMLElement;
  private readonly tasks = new Map<string, Task>();
  private readonly i18n: I18n;

  constructor(i18n: I18n) {
    this.i18n = i18n;
    this.el = h('div', { class: 'task-hud', 'data-testid': 'task-hud', hidden: true });
  }

  update(m: ServerMessage): void {
    if (m.type === 'agent_task_update' && m.task && typeof m.task === 'object') {
      const t = m.task as Task;
      if (!t.id) return;
      this.tasks.set(t.id, { ...this.tasks.get(t.id), ...t });
      if (t.status && DONE.has(t.status)) setTimeout(() => {
        this.tasks.delete(t.id);
        this.render();
      }, 5000);
    } else if (m.type === 'agent_status_update' && m.snapshot && typeof m.snapshot === 'object') {
      const active = (m.snapshot as { active_tasks?: Task[] }).active_tasks;
      if (Array.isArray(active)) {
        for (const [id, t] of this.tasks) if (!t.status || !DONE.has(t.status)) if (!active.some((a) => a.id === id)) this.tasks.delete(id);
        for (const a of active) if (a.id) this.tasks.set(a.id, { ...this.tasks.get(a.id), ...a });
      }
    } else return;
    this.render();
  }

  private render(): void {
    const rows = [...this.tasks.values()].map((t) => {
      const what = t.params?.instruction ?? t.params?.description ?? t.params?.plugin_name ?? t.type ?? '';
      const step = t.step_total ? ` ${t.step ?? 0}/${t.step_total}` : '';
      const status = this.i18n.t(`hud.${t.status ?? 'queued'}`);
      return h('div', { class: `task ${t.status ?? ''}` }, `${status}${step} · ${what}${t.message ? ` — ${t.message}` : ''}`);
    });
    this.el.replaceChildren(...rows);
    this.el.hidden = rows.length === 0;
  }
}
