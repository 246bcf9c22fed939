// The chat view of one conversation: transcript, new messages, the composer.
import { visitorLabel } from './conversations.js';
import { clock, h } from './dom.js';

const MAX_CHAT = 4000;

/**
 * @typedef {{from: 'visitor'|'agent', agent?: string, text: string, at?: number}} Message
 * @typedef {import('./conversations.js').Conversation} Conversation
 */

/** The middle pane. */
export class ChatView {
  /**
   * @param {HTMLElement} root
   * @param {{onSend: (text: string) => Promise<void>, onTake: (id: string) => void,
   *   onClose: (id: string) => void}} hooks
   */
  constructor(root, hooks) {
    this.root = root;
    this.hooks = hooks;
    /** @type {Conversation|null} */
    this.conv = null;
    /** @type {string[]} the signed-in agent's name and display name, to tell own messages from a colleague's */
    this.me = [];
    /** @type {Set<string>} keys of messages shown, to drop a repeat of the transcript */
    this.seen = new Set();
    this.title = h('h2', { class: 'chat-title' });
    this.status = h('span', { class: 'chat-status' });
    this.take = h('button', { type: 'button', class: 'primary small', testid: 'conversation-take-open', onclick: () => this.conv && this.hooks.onTake(this.conv.id) }, 'Take conversation');
    this.close = h('button', { type: 'button', class: 'quiet small', testid: 'conversation-close', onclick: () => this.conv && this.hooks.onClose(this.conv.id) }, 'Close conversation');
    /** Slot for the co-browse invitation control (invite.js). */
    this.actions = h('div', { class: 'chat-actions' });
    /** Slot for invitation banners (pending, declined, expired). */
    this.banner = h('div', { class: 'chat-banner' });
    this.list = h('ol', { class: 'messages', 'aria-live': 'polite', 'aria-label': 'Messages', tabindex: '0' });
    this.input = /** @type {HTMLTextAreaElement} */ (h('textarea', {
      class: 'chat-input', testid: 'chat-input', rows: '2', maxlength: String(MAX_CHAT),
      placeholder: 'Write a message…', 'aria-label': 'Message', onkeydown: (/** @type {KeyboardEvent} */ e) => this.key(e),
    }));
    this.sendButton = h('button', { type: 'submit', class: 'primary', testid: 'chat-send' }, 'Send');
    this.error = h('p', { class: 'chat-error', role: 'alert', hidden: true });
    this.composer = h('form', { class: 'composer', onsubmit: (/** @type {Event} */ e) => { e.preventDefault(); this.submit(); } },
      this.input, this.sendButton);
    this.empty = h('div', { class: 'chat-placeholder' },
      h('p', {}, 'Choose a conversation on the left, or take a waiting one.'));
    this.pane = h('div', { class: 'chat-pane', hidden: true },
      h('header', { class: 'chat-header' },
        h('div', { class: 'chat-heading' }, this.title, this.status),
        h('div', { class: 'chat-buttons' }, this.actions, this.take, this.close)),
      this.banner, this.list, this.error, this.composer);
    root.replaceChildren(this.empty, this.pane);
  }

  /**
   * Show a conversation at once (header, composer, keyboard in the chat box) while its
   * transcript loads: the header's buttons then never belong to the conversation shown
   * before, and the focus moves now, with the click that opened it, not later.
   * @param {Conversation} conv
   */
  show(conv) {
    this.conv = conv;
    this.seen.clear();
    this.list.replaceChildren();
    this.error.hidden = true;
    this.pane.dataset.conversation = conv.id;
    this.pane.setAttribute('aria-busy', 'true');
    this.update(conv);
    this.empty.hidden = true;
    this.pane.hidden = false;
    if (!this.input.disabled) this.input.focus();
  }

  /**
   * The transcript arrived: show it, and leave the focus where the agent has put it since
   * (a menu opened meanwhile must stay open; issue 15, item 4).
   * @param {Message[]} messages
   */
  fill(messages) {
    for (const m of messages) this.add(m, false);
    this.list.scrollTop = this.list.scrollHeight;
    this.pane.setAttribute('aria-busy', 'false');
  }

  /** Back to the empty state. */
  reset() {
    this.conv = null;
    this.pane.hidden = true;
    this.empty.hidden = false;
  }

  /**
   * Refresh the header and composer after the conversation changed status.
   * @param {Conversation} conv
   */
  update(conv) {
    this.conv = conv;
    this.title.textContent = visitorLabel(conv);
    const own = conv.mine && conv.status === 'open';
    this.status.textContent = conv.status === 'waiting' ? 'Waiting for an agent'
      : conv.status === 'closed' ? 'Closed' : own ? `Open${conv.site ? ` · ${conv.site}` : ''}` : `With ${conv.agent || 'another agent'}`;
    this.take.hidden = conv.status !== 'waiting';
    this.close.hidden = !own;
    this.input.disabled = !own;
    /** @type {HTMLButtonElement} */ (this.sendButton).disabled = !own;
    this.input.placeholder = own ? 'Write a message…' : conv.status === 'waiting' ? 'Take the conversation to reply.' : 'This conversation is read-only.';
  }

  /**
   * Show one message (unless already shown).
   * @param {Message} m
   * @param {boolean} [scroll]
   */
  add(m, scroll = true) {
    const key = `${m.from}|${m.at}|${m.text}`;
    if (m.at && this.seen.has(key)) return;
    this.seen.add(key);
    const local = m.from === 'agent' && (!m.agent || this.me.includes(m.agent))
      ? [...this.list.querySelectorAll('.message.local')].find((li) => li.dataset.text === m.text) : null;
    if (local) {
      // The server's copy of a message this tab sent: keep the bubble already shown.
      local.classList.remove('local', 'pending');
      local.querySelector('time')?.replaceChildren(clock(m.at || Date.now()));
      return;
    }
    this.list.append(this.bubble(m, false));
    if (scroll) this.list.scrollTop = this.list.scrollHeight;
  }

  /**
   * @private
   * @param {Message} m
   * @param {boolean} pending
   */
  bubble(m, pending) {
    const who = m.from === 'agent' ? (!m.agent || this.me.includes(m.agent) ? 'You' : m.agent) : 'Visitor';
    return h('li', { class: `message ${m.from}${pending ? ' pending local' : ''}`, testid: 'chat-message', 'data-from': m.from, 'data-text': m.text },
      h('div', { class: 'message-meta' }, h('span', { class: 'who' }, who), h('time', {}, pending ? 'sending…' : clock(m.at || 0))),
      h('div', { class: 'message-text' }, m.text));
  }

  /**
   * @private
   * @param {KeyboardEvent} e
   */
  key(e) {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      this.submit();
    }
  }

  /** @private */
  async submit() {
    const text = this.input.value.trim();
    if (!text || this.input.disabled) return;
    this.input.value = '';
    this.error.hidden = true;
    const li = this.bubble({ from: 'agent', text }, true);
    this.list.append(li);
    this.list.scrollTop = this.list.scrollHeight;
    try {
      await this.hooks.onSend(text);
      if (li.classList.contains('pending')) {
        li.classList.remove('pending');
        li.querySelector('time')?.replaceChildren(clock(Date.now()));
      }
    } catch (err) {
      li.classList.add('failed');
      li.querySelector('time')?.replaceChildren('not sent');
      this.error.textContent = `Not sent: ${/** @type {Error} */ (err).message}`;
      this.error.hidden = false;
      if (!this.input.value) this.input.value = text;
    }
  }
}
