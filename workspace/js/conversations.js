// The list of conversations: waiting ones any agent may take, and the agent's own.
import { clock, h } from './dom.js';

/**
 * @typedef {{id: string, site?: string, status: 'waiting'|'open'|'closed', agent?: string,
 *   mine?: boolean, started?: number, last?: {from: string, text: string, at: number} | null,
 *   unread?: number}} Conversation
 * @typedef {{session: string, conversation: string, site?: string, agent: string, mode: string,
 *   watchers: string[], watch: 'owner'|'visitor'|'watching'|null}} Colleague a colleague's
 *   co-browse this agent may ask to watch (issue 15, item 2)
 */

/** What the Join button says while this agent's ask waits, or while it watches. */
const WATCH_WORDS = {
  owner: 'Asked',
  visitor: 'Asked',
  watching: 'Watching',
};

/**
 * A short, stable name for a conversation's visitor.
 * @param {Conversation} conv
 * @returns {string}
 */
export function visitorLabel(conv) {
  const tail = String(conv.id).replace(/[^a-z0-9]/gi, '').slice(-4).toUpperCase();
  return `Visitor ${tail}`;
}

/** The sidebar list. */
export class ConversationList {
  /**
   * @param {HTMLElement} root
   * @param {{onOpen: (id: string) => void, onTake: (id: string) => void,
   *   onJoin?: (session: string) => void}} hooks
   */
  constructor(root, hooks) {
    this.root = root;
    this.hooks = hooks;
    /** @type {Conversation[]} */
    this.items = [];
    /** @type {Colleague[]} */
    this.colleagues = [];
    /** The outcome of this agent's last ask to watch ('' for none). */
    this.joinNote = '';
    /** @type {string|null} */
    this.openId = null;
    /** @type {Set<string>} */
    this.coBrowsing = new Set();
  }

  /**
   * Show a fresh list from /api/v1/agent/conversations.
   * @param {Conversation[]} items
   * @param {Colleague[]} [colleagues] colleagues' co-browses (the answer's `cobrowsing`)
   */
  update(items, colleagues = []) {
    this.items = items;
    this.colleagues = colleagues;
    this.render();
  }

  /** @param {string} text what became of this agent's ask to watch ('' to clear) */
  joinStatus(text) {
    this.joinNote = text;
    this.render();
  }

  /** @param {string|null} id */
  select(id) {
    this.openId = id;
    this.render();
  }

  /** @param {string|null} id the conversation with a live co-browse, if any */
  markCoBrowsing(id) {
    this.coBrowsing = new Set(id ? [id] : []);
    this.render();
  }

  /** @param {string} id */
  find(id) {
    return this.items.find((c) => c.id === id);
  }

  /** @private */
  render() {
    const waiting = this.items.filter((c) => c.status === 'waiting');
    const mine = this.items.filter((c) => c.status !== 'waiting' && c.mine);
    // Keep the keyboard focus on the same control across a re-render (a new visitor
    // arriving must not throw the agent's focus back to the top of the page).
    const active = /** @type {HTMLElement|null} */ (document.activeElement);
    const focused = active && this.root.contains(active) ? active.closest('[data-conversation]') : null;
    const kind = active?.classList.contains('conv-take') ? '.conv-take' : '.conv-open';
    const id = /** @type {HTMLElement|null} */ (focused)?.dataset.conversation;
    this.root.replaceChildren(
      this.section('Waiting', waiting, 'No visitor is waiting.'),
      this.section('Mine', mine, 'Take a waiting conversation to start.'),
      this.colleagueSection(),
    );
    if (id) {
      const item = this.root.querySelector(`li[data-conversation="${CSS.escape(id)}"]`);
      /** @type {HTMLElement|null} */ (item?.querySelector(kind) || item?.querySelector('.conv-open'))?.focus();
    }
  }

  /**
   * @private
   * @param {string} title
   * @param {Conversation[]} items
   * @param {string} empty
   */
  section(title, items, empty) {
    return h('section', { class: 'conv-section' },
      h('h2', { class: 'conv-heading' }, title, h('span', { class: 'count' }, String(items.length))),
      items.length
        ? h('ul', { class: 'conv-list' }, items.map((c) => this.item(c)))
        : h('p', { class: 'conv-empty' }, empty));
  }

  /**
   * Colleagues co-browsing now: ask to watch one (view only).
   * @private
   */
  colleagueSection() {
    const items = this.colleagues;
    const asked = items.some((c) => c.watch);
    return h('section', { class: 'conv-section', testid: 'colleague-cobrowsing' },
      h('h2', { class: 'conv-heading' }, 'Colleagues co-browsing', h('span', { class: 'count' }, String(items.length))),
      this.joinNote ? h('p', { class: 'conv-empty', testid: 'cobrowse-join-status', role: 'status' }, this.joinNote) : null,
      items.length
        ? h('ul', { class: 'conv-list' }, items.map((c) => h('li', {
          class: 'conv', testid: 'colleague-conversation', 'data-conversation': c.conversation, 'data-session': c.session, 'data-watch': c.watch || '',
        },
        h('div', { class: 'conv-colleague' },
          h('span', { class: 'conv-line' },
            h('span', { class: 'conv-name' }, c.agent),
            h('span', { class: 'live-dot', title: 'Co-browsing now' }, h('span', { class: 'visually-hidden' }, 'Co-browsing'))),
          h('span', { class: 'conv-line' }, h('span', { class: 'conv-preview' },
            `with ${visitorLabel({ id: c.conversation, status: 'open' })}${c.watchers.length ? ` · watching: ${c.watchers.join(', ')}` : ''}`))),
        h('button', {
          type: 'button', class: 'conv-take small', testid: 'cobrowse-join',
          disabled: asked ? true : null,
          'aria-label': `Ask to watch ${c.agent}'s co-browse (view only)`,
          onclick: () => this.hooks.onJoin?.(c.session),
          title: 'Watch this co-browse, view only (the agent and the visitor agree first)',
        }, c.watch ? WATCH_WORDS[c.watch] : 'Join'))))
        : h('p', { class: 'conv-empty' }, 'No colleague is co-browsing.'));
  }

  /**
   * @private
   * @param {Conversation} conv
   */
  item(conv) {
    const unread = conv.id === this.openId ? 0 : Number(conv.unread) || 0;
    const last = conv.last;
    const preview = last ? `${last.from === 'agent' ? 'You: ' : ''}${last.text}` : 'No message yet';
    const li = h('li', {
      class: `conv${conv.id === this.openId ? ' selected' : ''}${unread ? ' unread' : ''}`,
      testid: 'conversation',
      'data-conversation': conv.id,
      'data-status': conv.status,
      'data-unread': String(unread),
    },
    h('button', {
      type: 'button',
      class: 'conv-open',
      'data-conversation': conv.id,
      'aria-current': conv.id === this.openId ? 'true' : null,
      onclick: () => this.hooks.onOpen(conv.id),
    },
    h('span', { class: 'conv-line' },
      h('span', { class: 'conv-name' }, visitorLabel(conv)),
      this.coBrowsing.has(conv.id)
        ? h('span', { class: 'live-dot', testid: 'conversation-cobrowsing', title: 'Co-browsing now' }, h('span', { class: 'visually-hidden' }, 'Co-browsing'))
        : null,
      conv.status === 'closed' ? h('span', { class: 'tag' }, 'Closed') : null,
      h('span', { class: 'conv-time' }, clock(last?.at || conv.started || 0))),
    h('span', { class: 'conv-line' },
      h('span', { class: 'conv-preview' }, preview),
      unread ? h('span', { class: 'unread-mark', testid: 'conversation-unread', 'aria-label': `${unread} unread` }, String(unread)) : null)));
    if (conv.status === 'waiting') {
      li.append(h('button', {
        type: 'button', class: 'conv-take small primary', testid: 'conversation-take',
        'aria-label': `Take the conversation with ${visitorLabel(conv)}`,
        onclick: () => this.hooks.onTake(conv.id),
      }, 'Take'));
    }
    return li;
  }
}
