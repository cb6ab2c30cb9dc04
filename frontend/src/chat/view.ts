// Package chat/view: the chat panel — streamed bubbles, status line, composer with images.

import { h, toast } from '../ui/dom';
import type { ChatView } from './controller';

export class ChatPanel implements ChatView {
  readonly el: HTMLElement;
  readonly messages: HTMLElement;
  readonly status: HTMLElement;
  private current: HTMLElement | null = null;
  private turnBubbles: HTMLElement[] = [];

  constructor() {
    this.messages = h('div', { class: 'messages', 'data-testid': 'messages' });
    this.status = h('div', { class: 'status', 'data-testid': 'status' });
    this.el = h('div', { class: 'chat' }, this.messages, this.status);
  }

  addUser(text: string, images: string[] = []): void {
    const b = h('div', { class: 'bubble user' }, text);
    for (const src of images) b.append(h('img', { src, alt: '' }));
    this.messages.append(b);
    this.current = null;
    this.turnBubbles = [];
    this.scroll();
  }

  appendAssistant(text: string, isNew: boolean): void {
    if (isNew || !this.current) {
      this.current = h('div', { class: 'bubble ai', 'data-testid': 'ai-bubble' });
      this.messages.append(this.current);
      this.turnBubbles.push(this.current);
    }
    this.current.textContent = (this.current.textContent ?? '') + text;
    this.scroll();
  }

  discardTurn(): void {
    for (const b of this.turnBubbles) b.remove();
    this.turnBubbles = [];
    this.current = null;
  }

  setStatus(text: string, error = false): void {
    this.status.textContent = text;
    this.status.className = error ? 'status error' : 'status';
  }

  notify(text: string): void {
    if (text) toast(text);
  }

  private scroll(): void {
    this.messages.scrollTop = this.messages.scrollHeight;
  }
}
