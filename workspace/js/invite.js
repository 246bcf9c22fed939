// The co-browse invitation: the button in the conversation, the choice of mode, the pending
// state with its cancel button, and the outcome (declined, expired).
import { h } from './dom.js';

/** What each mode allows, in the agent's words (issue 5, item 3). */
export const MODES = Object.freeze({
  view: { label: 'View only', line: "See the visitor's tab, point and highlight." },
  shared: { label: 'Shared', line: 'Also click, type and navigate with the visitor.' },
});

const RESULTS = {
  declined: 'The visitor declined the co-browse invitation.',
  expired: 'The invitation expired before the visitor answered.',
  cancelled: 'You cancelled the invitation.',
};

/**
 * @typedef {{id: string, conversation?: string, mode: string}} Invitation
 * @typedef {{id: string, conversation?: string, mode: string}} Session
 * @typedef {{conversation: import('./conversations.js').Conversation|null,
 *   invitation: Invitation|null, session: Session|null,
 *   result: {state: string, message?: string}|null, watching?: boolean}} InviteView
 *   watching: the agent watches (or asked to watch) a colleague's co-browse (issue 15)
 */

/**
 * Why the agent cannot invite now, or '' when they can.
 * @param {InviteView} v
 * @returns {string}
 */
export function inviteBlocker(v) {
  const conv = v.conversation;
  if (!conv) return 'Open a conversation first.';
  if (conv.status === 'waiting') return 'Take the conversation first.';
  if (conv.status === 'closed') return 'The conversation is closed.';
  if (!conv.mine) return 'This conversation belongs to another agent.';
  if (v.session) {
    return v.session.conversation === conv.id ? 'You are co-browsing with this visitor.'
      : 'You are co-browsing in another conversation. End that session first.';
  }
  if (v.watching) return "You are watching a colleague's co-browse. Leave it first.";
  if (v.invitation) {
    return v.invitation.conversation === conv.id ? 'Your invitation is waiting for the visitor.'
      : 'You have an open invitation in another conversation. Cancel it first.';
  }
  return '';
}

/** The invitation control of the open conversation. */
export class InviteControl {
  /**
   * @param {HTMLElement} actions slot in the chat header
   * @param {HTMLElement} banner slot under the chat header
   * @param {{onInvite: (mode: 'view'|'shared') => void, onCancel: (id: string) => void,
   *   onDismiss: () => void}} hooks
   */
  constructor(actions, banner, hooks) {
    this.hooks = hooks;
    this.banner = banner;
    /** What the banner shows now (see update). */
    this.bannerKey = '';
    this.button = /** @type {HTMLButtonElement} */ (h('button', {
      type: 'button', class: 'cobrowse-button', testid: 'cobrowse-button', 'aria-haspopup': 'menu',
      'aria-expanded': 'false', 'aria-describedby': 'cobrowse-reason', onclick: () => this.toggle(),
    }, h('span', { class: 'icon-cobrowse', 'aria-hidden': 'true' }), 'Co-browse'));
    this.reason = h('span', { id: 'cobrowse-reason', class: 'cobrowse-reason', testid: 'cobrowse-disabled-reason' });
    this.menu = h('div', {
      class: 'mode-menu', role: 'menu', hidden: true, 'aria-label': 'Co-browse mode',
      onkeydown: (/** @type {KeyboardEvent} */ e) => this.menuKey(e),
      // Tabbing away closes the menu, as a click elsewhere does.
      onfocusout: (/** @type {FocusEvent} */ e) => {
        if (!this.menu.hidden && e.relatedTarget && !this.menu.contains(/** @type {Node} */ (e.relatedTarget))) this.closeMenu(false);
      },
    },
      this.option('view', 'cobrowse-mode-view'), this.option('shared', 'cobrowse-mode-shared'));
    actions.replaceChildren(h('div', { class: 'invite' }, this.button, this.menu), this.reason);
    document.addEventListener('click', (e) => {
      if (!this.menu.hidden && !actions.contains(/** @type {Node} */ (e.target))) this.closeMenu(false);
    });
  }

  /**
   * @private
   * @param {'view'|'shared'} mode
   * @param {string} testid
   */
  option(mode, testid) {
    return h('button', {
      type: 'button', role: 'menuitem', class: 'mode-option', testid, 'data-mode': mode,
      onclick: () => { this.closeMenu(false); this.hooks.onInvite(mode); },
    }, h('span', { class: 'mode-label' }, MODES[mode].label), h('span', { class: 'mode-line' }, MODES[mode].line));
  }

  /**
   * Render from the current state.
   * @param {InviteView} v
   */
  update(v) {
    const blocker = inviteBlocker(v);
    this.button.disabled = !!blocker;
    this.button.title = blocker || 'Invite the visitor to browse together';
    this.reason.textContent = blocker && v.conversation?.mine && v.conversation.status === 'open' ? blocker : '';
    if (blocker) this.closeMenu(false);
    const here = v.conversation?.id;
    const pending = v.invitation && here && v.invitation.conversation === here ? v.invitation : null;
    // Render only what changed: every poll answer calls update(), and rebuilding the banner
    // would take the keyboard focus away from its button.
    const key = pending ? `pending|${pending.id}|${pending.mode}` : v.result ? `result|${v.result.state}|${v.result.message || ''}` : '';
    if (key === this.bannerKey) return;
    this.bannerKey = key;
    const hadFocus = this.banner.contains(document.activeElement);
    if (pending) this.showPending(pending);
    else if (v.result) this.showResult(v.result);
    else this.banner.replaceChildren();
    if (hadFocus) {
      const next = !this.button.disabled ? this.button : this.banner.querySelector('button');
      /** @type {HTMLElement|null} */ (next)?.focus();
    }
  }

  /**
   * @private
   * @param {Invitation} inv
   */
  showPending(inv) {
    const mode = MODES[/** @type {'view'|'shared'} */ (inv.mode)]?.label || inv.mode;
    this.banner.replaceChildren(h('div', { class: 'banner pending', testid: 'cobrowse-invite-pending', role: 'status', 'data-invitation': inv.id },
      h('span', { class: 'spinner', 'aria-hidden': 'true' }),
      h('span', { class: 'banner-text' }, `Co-browse invitation sent (${mode}). Waiting for the visitor to accept…`),
      h('button', { type: 'button', class: 'small', testid: 'cobrowse-cancel-invite', onclick: () => this.hooks.onCancel(inv.id) }, 'Cancel invitation')));
  }

  /**
   * @private
   * @param {{state: string, message?: string}} result
   */
  showResult(result) {
    const text = result.message || RESULTS[/** @type {keyof RESULTS} */ (result.state)] || `Invitation ${result.state}.`;
    this.banner.replaceChildren(h('div', { class: `banner result ${result.state}`, testid: 'cobrowse-invite-result', 'data-result': result.state, role: 'status' },
      h('span', { class: 'banner-text' }, text),
      h('button', { type: 'button', class: 'quiet small', 'aria-label': 'Dismiss', onclick: () => this.hooks.onDismiss() }, 'Dismiss')));
  }

  /** @private */
  toggle() {
    if (this.menu.hidden) {
      this.menu.hidden = false;
      this.button.setAttribute('aria-expanded', 'true');
      /** @type {HTMLElement} */ (this.menu.firstElementChild).focus();
    } else {
      this.closeMenu(true);
    }
  }

  /**
   * @private
   * @param {boolean} refocus
   */
  closeMenu(refocus) {
    this.menu.hidden = true;
    this.button.setAttribute('aria-expanded', 'false');
    if (refocus) this.button.focus();
  }

  /**
   * Arrow keys move between the two choices; Escape closes.
   * @private
   * @param {KeyboardEvent} e
   */
  menuKey(e) {
    const items = /** @type {HTMLElement[]} */ ([...this.menu.querySelectorAll('[role=menuitem]')]);
    const at = items.indexOf(/** @type {HTMLElement} */ (document.activeElement));
    if (e.key === 'Escape') {
      e.preventDefault();
      this.closeMenu(true);
    } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      const next = (at + (e.key === 'ArrowDown' ? 1 : items.length - 1)) % items.length;
      items[next].focus();
    } else if (e.key === 'Home' || e.key === 'End') {
      e.preventDefault();
      items[e.key === 'Home' ? 0 : items.length - 1].focus();
    }
  }
}
