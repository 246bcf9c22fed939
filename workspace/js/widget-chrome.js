// The widget's own interface around the replica: status line, mode and its switch,
// fullscreen, end, progress, notes, the page line and the fidelity report.
import { h } from './dom.js';
import { MODES } from './invite.js';

const NOTE_MS = 6000;
const MAX_SCALE = 2;

/** DOM of the co-browse widget. */
export class WidgetChrome {
  /**
   * @param {HTMLElement} root
   * @param {{onSwitch: () => void, onEnd: () => void, onClose: () => void, onLeave?: () => void,
   *   onJoinAnswer?: (join: string, accept: boolean) => void}} hooks
   */
  constructor(root, hooks) {
    this.root = root;
    this.statusEl = h('span', { class: 'cb-status', testid: 'cobrowse-status', role: 'status', 'data-state': 'connecting' }, 'Connecting…');
    this.modeEl = h('span', { class: 'cb-mode', testid: 'cobrowse-mode' });
    this.switchBtn = h('button', { type: 'button', class: 'small', testid: 'cobrowse-switch-mode', onclick: hooks.onSwitch });
    this.fullBtn = h('button', { type: 'button', class: 'small', testid: 'cobrowse-fullscreen', 'aria-pressed': 'false', onclick: () => this.toggleFullscreen() }, 'Fullscreen');
    this.endBtn = h('button', { type: 'button', class: 'small danger', testid: 'cobrowse-end', onclick: hooks.onEnd }, 'End co-browse');
    this.closeBtn = h('button', { type: 'button', class: 'small', testid: 'cobrowse-close', hidden: true, onclick: hooks.onClose }, 'Close');
    // A second agent (issue 15, item 2): a watcher's Leave, the names of who watches, and
    // the owner's prompt when a colleague asks to watch.
    this.leaveBtn = h('button', { type: 'button', class: 'small', testid: 'cobrowse-leave', hidden: true, onclick: () => hooks.onLeave?.() }, 'Leave');
    this.watchersEl = h('p', { class: 'cb-watchers', testid: 'cobrowse-watchers', hidden: true });
    this.joinText = h('span', {});
    this.joinId = '';
    this.joinEl = h('div', { class: 'cb-join', testid: 'cobrowse-join-prompt', role: 'alertdialog', hidden: true },
      this.joinText,
      h('button', { type: 'button', class: 'small primary', testid: 'cobrowse-join-accept', onclick: () => hooks.onJoinAnswer?.(this.joinId, true) }, 'Let them watch'),
      h('button', { type: 'button', class: 'small', testid: 'cobrowse-join-decline', onclick: () => hooks.onJoinAnswer?.(this.joinId, false) }, 'Decline'));
    /** Slot for the drawing toolbar (annotations.js). */
    this.tools = h('div', { class: 'cb-tools-slot' });
    this.bar = h('div', { class: 'cb-bar' });
    this.progressText = h('span', { class: 'cb-progress-text' });
    this.progressEl = h('div', { class: 'cb-progress', testid: 'cobrowse-progress', role: 'progressbar', 'aria-label': 'Loading the visitor\'s page', hidden: true }, this.bar, this.progressText);
    /** Layer over the iframe for pointers, rings and selections (replica pixels). */
    this.overlay = h('div', { class: 'cb-overlay' });
    this.scaler = h('div', { class: 'cb-scaler' }, this.overlay);
    this.box = h('div', { class: 'cb-box' }, this.scaler);
    this.endedEl = h('div', { class: 'cb-ended', testid: 'cobrowse-ended', hidden: true });
    // Issue 14: while the visitor pauses, a neutral placeholder stands in for the replica.
    this.pausedText = h('p', { class: 'cb-paused-why' });
    this.pausedEl = h('div', { class: 'cb-paused', testid: 'cobrowse-paused', role: 'status', hidden: true },
      h('p', { class: 'cb-paused-title' }, 'Paused by the visitor'), this.pausedText);
    this.stage = h('div', { class: 'cb-stage' }, this.box, this.pausedEl, this.endedEl);
    this.noteEl = h('p', { class: 'cb-note', testid: 'cobrowse-note', role: 'status', hidden: true });
    this.pageEl = h('span', { class: 'cb-page', testid: 'cobrowse-page' });
    this.tabEl = h('span', { class: 'cb-tab', testid: 'cobrowse-visitor-tab', hidden: true }, "The visitor's tab is in the background.");
    // Issue 16: a big page shows what the visitor sees first; this says the rest is on its way.
    this.restEl = h('span', { class: 'cb-rest', testid: 'cobrowse-loading-rest', role: 'status', hidden: true }, 'Loading the rest of the page…');
    this.fidelityList = h('ul', {});
    this.fidelityEl = h('details', { class: 'cb-fidelity', testid: 'cobrowse-fidelity', hidden: true }, h('summary', {}), this.fidelityList);
    this.noteTimer = 0;
    root.replaceChildren(
      h('header', { class: 'cb-header' }, this.statusEl, this.modeEl, this.tools, h('span', { class: 'spacer' }),
        this.switchBtn, this.fullBtn, this.endBtn, this.leaveBtn, this.closeBtn),
      this.joinEl, this.watchersEl, this.progressEl, this.stage, this.noteEl,
      h('footer', { class: 'cb-footer' }, this.pageEl, this.restEl, this.tabEl, h('span', { class: 'spacer' }), this.fidelityEl));
    document.addEventListener('fullscreenchange', () => {
      const on = document.fullscreenElement === root;
      this.fullBtn.textContent = on ? 'Exit fullscreen' : 'Fullscreen';
      this.fullBtn.setAttribute('aria-pressed', String(on));
    });
  }

  /**
   * Put a new replica iframe on the stage (under the overlay).
   * @param {HTMLIFrameElement} frame
   */
  mount(frame) {
    this.scaler.querySelector('iframe')?.remove();
    this.scaler.prepend(frame);
    this.endedEl.hidden = true;
    this.closeBtn.hidden = true;
    this.tools.hidden = false;
    for (const b of [this.switchBtn, this.endBtn]) /** @type {HTMLButtonElement} */ (b).disabled = false;
  }

  /**
   * A watcher's widget: no mode switch, no End, no drawing tools; a Leave button instead.
   * @param {boolean} on
   */
  watchMode(on) {
    this.root.dataset.watching = String(on);
    this.switchBtn.hidden = on;
    this.endBtn.hidden = on;
    this.leaveBtn.hidden = !on;
    this.tools.hidden = on;
    if (on) this.joinEl.hidden = true;
  }

  /**
   * Who watches besides the owner (names), as the owner or a watcher sees it.
   * @param {string} text the whole line, '' for none
   */
  watchers(text) {
    this.watchersEl.textContent = text;
    this.watchersEl.hidden = !text;
  }

  /**
   * The owner's prompt: a colleague asks to watch (null: no open ask).
   * @param {{join: string, agent: string}|null} ask
   */
  joinPrompt(ask) {
    this.joinId = ask ? ask.join : '';
    this.joinEl.hidden = !ask;
    this.joinText.textContent = ask ? `${ask.agent} asks to watch this co-browse (view only, no control). ` : '';
  }

  /**
   * Show the paused placeholder instead of the replica (or the replica again).
   * @param {boolean} on
   * @param {string} [by] "visitor" (the frame bar) or "page" (a page the site pauses on)
   */
  paused(on, by) {
    this.pausedEl.hidden = !on;
    this.box.style.visibility = on ? 'hidden' : '';
    this.pausedText.textContent = by === 'page'
      ? 'The visitor is on a page that the site keeps private. Sharing resumes when they leave it.'
      : 'Nothing of the page is shared until the visitor resumes. You cannot operate the page meanwhile.';
  }

  /** Back to an empty widget. */
  reset() {
    this.scaler.querySelector('iframe')?.remove();
    for (const el of [...this.overlay.querySelectorAll('.ring')]) el.remove();
    this.overlay.replaceChildren();
    this.progress(null);
    this.page('', '', []);
    this.tabHidden(false);
    this.noteEl.hidden = true;
    this.loadingRest(false);
    this.watchers('');
    this.joinPrompt(null);
    this.watchMode(false);
  }

  /**
   * @param {string} state connecting | active | away | reconnecting | ended
   * @param {string} text
   */
  status(state, text) {
    this.statusEl.dataset.state = state;
    this.statusEl.textContent = text;
    this.root.dataset.state = state;
  }

  /** @param {string} mode view | shared */
  setMode(mode) {
    this.noteEl.hidden = true; // a note about the old mode no longer holds
    const other = mode === 'shared' ? 'view' : 'shared';
    this.modeEl.textContent = MODES[/** @type {'view'|'shared'} */ (mode)]?.label || mode;
    this.modeEl.dataset.mode = mode;
    this.modeEl.title = MODES[/** @type {'view'|'shared'} */ (mode)]?.line || '';
    this.switchBtn.textContent = `Switch to ${MODES[other].label}`;
    this.switchBtn.title = MODES[other].line;
    this.root.dataset.mode = mode;
    this.asking(false);
  }

  /**
   * While the visitor is asked for control: the switch button waits (issue 10, item 5).
   * @param {boolean} open
   */
  asking(open) {
    this.switchBtn.disabled = open;
    if (open) {
      this.switchBtn.textContent = 'Waiting for the visitor…';
      this.root.dataset.request = 'open';
    } else {
      delete this.root.dataset.request;
      const other = this.root.dataset.mode === 'shared' ? 'view' : 'shared';
      this.switchBtn.textContent = `Switch to ${MODES[other].label}`;
    }
  }

  /**
   * Show progress: null hides it; done < 0 means "unknown amount" (bytes arriving).
   * @param {number|null} done
   * @param {number} [total]
   * @param {string} [text]
   */
  progress(done, total = 1, text = '') {
    this.progressEl.hidden = done === null;
    if (done === null) return;
    const pct = done < 0 ? null : Math.round((done / Math.max(total, 1)) * 100);
    this.progressEl.classList.toggle('indeterminate', pct === null);
    this.bar.style.width = pct === null ? '' : `${pct}%`;
    if (pct === null) this.progressEl.removeAttribute('aria-valuenow');
    else this.progressEl.setAttribute('aria-valuenow', String(pct));
    this.progressText.textContent = pct === null ? text : `${text} ${pct}%`;
  }

  /**
   * A short note under the replica (why a click did nothing, a refusal...).
   * @param {string} text
   */
  note(text) {
    this.noteEl.textContent = text;
    this.noteEl.hidden = false;
    window.clearTimeout(this.noteTimer);
    this.noteTimer = window.setTimeout(() => { this.noteEl.hidden = true; }, NOTE_MS);
  }

  /**
   * The page the visitor is on, and what could not be shown (kept unobtrusive).
   * @param {string} title
   * @param {string} url
   * @param {string[]} fidelity
   */
  /**
   * Whether the rest of a visible-first page is still loading (the note in the footer).
   * @param {boolean} on
   */
  loadingRest(on) {
    this.restEl.hidden = !on;
  }

  page(title, url, fidelity) {
    this.pageEl.textContent = title || url;
    this.pageEl.title = url;
    this.serverLines = fidelity.map(String);
    this.renderFidelity();
  }

  /**
   * What the replica itself failed to load (fonts, style sheets, images: issue 11, item 6),
   * listed after the sanitizer's lines in the same quiet note.
   * @param {string[]} lines
   */
  loads(lines) {
    this.loadLines = lines.map(String);
    this.renderFidelity();
  }

  /** @private */
  renderFidelity() {
    const server = this.serverLines || [];
    const loads = this.loadLines || [];
    const count = server.length + loads.length;
    this.fidelityEl.hidden = count === 0;
    /** @type {HTMLElement} */ (this.fidelityEl.firstElementChild).textContent = `${count} not shown`;
    this.fidelityList.replaceChildren(
      ...server.map((line) => h('li', {}, line)),
      ...loads.map((line) => h('li', { 'data-source': 'replica' }, line)));
  }

  /** @param {boolean} hidden whether the visitor's tab is in the background */
  tabHidden(hidden) {
    this.tabEl.hidden = !hidden;
  }

  /** @param {string} text why the session ended */
  endedPanel(text) {
    this.endedEl.replaceChildren(h('p', {}, text), h('p', { class: 'muted' }, 'Nothing of the visitor\'s page is kept.'));
    this.endedEl.hidden = false;
    this.closeBtn.hidden = false;
    this.tools.hidden = true;
    this.noteEl.hidden = true;
    this.page('', '', []); // nothing of the page stays, not even its title
    this.tabHidden(false);
    const hadFocus = this.root.contains(document.activeElement);
    for (const b of [this.switchBtn, this.endBtn]) /** @type {HTMLButtonElement} */ (b).disabled = true;
    this.leaveBtn.hidden = true;
    this.joinPrompt(null);
    this.watchers('');
    if (hadFocus) this.closeBtn.focus(); // the focused End button was just disabled
    this.scaler.querySelector('iframe')?.remove();
  }

  /**
   * Scale the visitor's viewport (vw x vh) to fit the stage exactly; returns the scale.
   * @param {number} vw
   * @param {number} vh
   * @returns {number}
   */
  fit(vw, vh) {
    const pad = getComputedStyle(this.stage);
    const W = this.stage.clientWidth - parseFloat(pad.paddingLeft) - parseFloat(pad.paddingRight);
    const H = this.stage.clientHeight - parseFloat(pad.paddingTop) - parseFloat(pad.paddingBottom);
    const scale = W > 0 && H > 0 ? Math.min(W / vw, H / vh, MAX_SCALE) : 1;
    this.scaler.style.width = `${vw}px`;
    this.scaler.style.height = `${vh}px`;
    this.scaler.style.transform = `scale(${scale})`;
    this.box.style.width = `${Math.floor(vw * scale)}px`;
    this.box.style.height = `${Math.floor(vh * scale)}px`;
    this.root.dataset.scale = scale.toFixed(3);
    return scale;
  }

  /** The real Fullscreen API on the widget. @private */
  toggleFullscreen() {
    if (document.fullscreenElement === this.root) document.exitFullscreen().catch(() => {});
    else this.root.requestFullscreen().catch((err) => this.note(`Fullscreen is not available: ${err.message}`));
  }
}
