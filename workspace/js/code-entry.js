// Support codes (issue 13): the agent types the six digits a visitor reads out, then chooses
// View only or Shared; the visitor is invited without a conversation of ours. The code is
// used up when it is entered; the choice is held for this agent for a few minutes.
import { request } from './api.js';
import { h } from './dom.js';
import { MODES } from './invite.js';

/** The code form in the top bar, its mode choice and the pending invitation. */
export class CodeEntry {
  /**
   * @param {HTMLElement} slot where the form goes
   * @param {{token: () => string, onCancel: (id: string) => void, onInvited: (id: string, mode: string) => void}} hooks
   */
  constructor(slot, hooks) {
    this.hooks = hooks;
    /** @type {string} the claim of the last valid code, until a mode is chosen */
    this.claim = '';
    /** @type {string} the invitation sent from here, while open */
    this.pending = '';
    this.input = /** @type {HTMLInputElement} */ (h('input', {
      testid: 'code-input', inputmode: 'numeric', autocomplete: 'off', maxlength: '7',
      placeholder: 'Visitor code', 'aria-label': "The visitor's six-digit code", class: 'code-input',
    }));
    this.submit = h('button', { type: 'submit', testid: 'code-submit', class: 'small' }, 'Find visitor');
    this.choice = h('div', { class: 'code-choice', testid: 'code-choice', role: 'group', 'aria-label': 'Co-browse mode', hidden: true },
      this.modeButton('view', 'code-mode-view'), this.modeButton('shared', 'code-mode-shared'),
      h('button', { type: 'button', class: 'quiet small', testid: 'code-dismiss', onclick: () => this.reset('') }, 'Cancel'));
    this.message = h('span', { class: 'code-message', testid: 'code-message', role: 'status' });
    this.cancelButton = h('button', { type: 'button', class: 'small', testid: 'code-cancel-invite', hidden: true,
      onclick: () => this.pending && this.hooks.onCancel(this.pending) }, 'Cancel invitation');
    const form = h('form', { class: 'code-entry', testid: 'code-entry', onsubmit: (/** @type {Event} */ e) => { e.preventDefault(); this.find(); } },
      this.input, this.submit);
    slot.replaceChildren(form, this.choice, this.message, this.cancelButton);
  }

  /**
   * @private
   * @param {'view'|'shared'} mode
   * @param {string} testid
   */
  modeButton(mode, testid) {
    return h('button', { type: 'button', class: 'small', testid, 'data-mode': mode, title: MODES[mode].line,
      onclick: () => this.invite(mode) }, MODES[mode].label);
  }

  /** Send the code; on success offer the choice of mode. @private */
  async find() {
    const code = this.input.value.replace(/\s+/g, '');
    if (!/^\d{6}$/.test(code)) {
      this.say('Enter the six digits the visitor sees.');
      return;
    }
    this.submit.setAttribute('disabled', '');
    try {
      const res = await request('/api/v1/agent/code', { token: this.hooks.token(), code });
      this.claim = String(res.claim);
      this.input.value = '';
      this.choice.hidden = false;
      this.say(`Visitor found${res.page ? ` on “${res.page}”` : ''}. Choose how to co-browse:`);
      /** @type {HTMLElement} */ (this.choice.firstElementChild).focus();
    } catch (err) {
      this.say(/** @type {Error} */ (err).message);
    } finally {
      this.submit.removeAttribute('disabled');
    }
  }

  /** @private @param {'view'|'shared'} mode */
  async invite(mode) {
    const claim = this.claim;
    this.choice.hidden = true;
    try {
      const res = await request('/api/v1/agent/code/invite', { token: this.hooks.token(), claim, mode });
      this.claim = '';
      this.hooks.onInvited(String(res.invitation), mode);
    } catch (err) {
      this.reset(/** @type {Error} */ (err).message);
    }
  }

  /**
   * Render the invitation sent from here: pending, or over.
   * @param {{id: string, conversation?: string|null}|null} invitation the agent's open invitation
   * @param {boolean} inSession
   */
  update(invitation, inSession) {
    const mine = invitation && !invitation.conversation ? invitation.id : '';
    if (mine && mine !== this.pending) this.say('Invitation sent. Waiting for the visitor to accept…');
    if (!mine && this.pending) this.say(inSession ? 'The visitor accepted.' : 'The invitation is over.');
    this.pending = mine;
    this.cancelButton.hidden = !mine;
    this.input.disabled = !!mine || inSession;
    this.submit.toggleAttribute('disabled', !!mine || inSession);
  }

  /** @private @param {string} text */
  reset(text) {
    this.claim = '';
    this.choice.hidden = true;
    this.say(text);
  }

  /** @private @param {string} text */
  say(text) {
    this.message.textContent = text;
  }
}
