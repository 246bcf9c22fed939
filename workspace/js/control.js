// What the agent's clicks and typing in the replica mean. The replica itself never
// navigates, submits or runs anything: every click is intercepted, then turned into
// events. View only: highlight (and scroll, pointer) only. Shared: control events too.
import { identified, pointOf } from './cursors.js';
import { attrOf, closestOf, nameOf, on, parentOf, typeOf } from './safe-dom.js';

const TYPING_MS = 150;
const BUTTON_TYPES = new Set(['button', 'submit', 'reset', 'image']);
/** Elements whose activation follows a link (an SVG `a` too: CSS type selectors match it). */
const LINKS = 'a, area';
const INTERACTIVE = 'a[href], area[href], button, input, select, textarea, label, summary, option, [role=button], [role=link], [tabindex], [contenteditable]';

export const NOTES = Object.freeze({
  view: 'View only: the visitor saw your highlight, but nothing was clicked or typed. Switch to Shared to control the page.',
  masked: "This field is masked: its content stays on the visitor's screen, so you cannot type into it.",
  noControl: 'The site does not let agents operate this element (a privacy rule): only the visitor can.',
});

/**
 * @typedef {{send: (events: object[], opts?: {merge?: boolean}) => Promise<any>|void,
 *   note: (text: string) => void, ring: (p: {i: number, x: number, y: number}, who: 'agent'|'wiggle') => void,
 *   mode: () => string}} ControlHooks
 */

/**
 * The link around `el` (itself, an ancestor, or around the shadow host it lives in), if any.
 * @param {Element|null} el
 * @returns {Element|null}
 */
function linkAround(el) {
  for (let n = el, guard = 0; n && guard < 64; guard++) {
    const link = closestOf(n, LINKS);
    if (link) return link;
    const root = /** @type {any} */ (n.getRootNode());
    n = root && root.host ? root.host : null;
  }
  return null;
}

/**
 * A field the agent fills in the replica itself (then sent as control.input).
 * @param {Element} el
 */
function typable(el) {
  const name = nameOf(el);
  if (name === 'select' || name === 'textarea') return true;
  return name === 'input' && !BUTTON_TYPES.has(/** @type {HTMLInputElement} */ (el).type);
}

/** Interprets the agent's input in the replica documents. */
export class Control {
  /**
   * @param {import('./replica.js').Replica} replica
   * @param {ControlHooks} hooks
   */
  constructor(replica, hooks) {
    this.replica = replica;
    this.hooks = hooks;
    /** @type {Map<number, number>} pending typing per field id */
    this.typing = new Map();
    /** @type {Element|null} the control a label click is being passed on to */
    this.forwarded = null;
  }

  /**
   * Intercept clicks, submits and typing in one replica document (capture listeners).
   * @param {Document} doc
   */
  hook(doc) {
    on(doc, 'click', (e) => this.click(/** @type {MouseEvent} */ (e)), true);
    // The replica never navigates, submits or opens anything, whatever is clicked, dragged
    // or dropped (issue 10, item 3): every default action that could is prevented here,
    // and the agent's intent travels as an event to the visitor's page instead.
    on(doc, 'auxclick', (e) => e.preventDefault(), true);
    on(doc, 'submit', (e) => e.preventDefault(), true);
    on(doc, 'dragstart', (e) => e.preventDefault(), true);
    on(doc, 'dragover', (e) => e.preventDefault(), true);
    on(doc, 'drop', (e) => e.preventDefault(), true);
    on(doc, 'contextmenu', (e) => { if (linkAround(this.targetOf(e))) e.preventDefault(); }, true);
    on(doc, 'beforeinput', (e) => this.beforeInput(/** @type {InputEvent} */ (e)), true);
    on(doc, 'keydown', (e) => this.keydown(/** @type {KeyboardEvent} */ (e)), true);
    on(doc, 'mousedown', (e) => this.mousedown(/** @type {MouseEvent} */ (e)), true);
    on(doc, 'input', (e) => this.changed(/** @type {Event} */ (e), false), true);
    on(doc, 'change', (e) => this.changed(/** @type {Event} */ (e), true), true);
  }

  /** @private */
  get shared() {
    return this.hooks.mode() === 'shared';
  }

  /**
   * @private
   * @param {Event} e
   * @returns {Element|null}
   */
  targetOf(e) {
    const t = /** @type {Node} */ (e.composedPath()[0] || e.target);
    if (!t) return null;
    if (typeOf(t) === 1) return /** @type {Element} */ (t);
    const parent = parentOf(t);
    return parent && typeOf(parent) === 1 ? /** @type {Element} */ (parent) : null;
  }

  /**
   * @private
   * @param {MouseEvent} e
   */
  click(e) {
    const el = this.targetOf(e);
    const around = linkAround(el);
    if (el && el === this.forwarded) {
      // A label passed its click on: already shown and sent. Inside a link, the control's
      // own click would follow the link.
      if (around) e.preventDefault();
      return;
    }
    const p = pointOf(this.replica, e);
    if (!el || !p) {
      e.preventDefault();
      return;
    }
    if (e.ctrlKey || e.metaKey) {
      e.preventDefault();
      this.hooks.ring(p, 'wiggle');
      this.hooks.send([{ k: 'wiggle', i: p.i }]);
      return;
    }
    this.hooks.ring(p, 'agent');
    this.hooks.send([{ k: 'highlight', ...p }], { merge: true });
    const field = /** @type {HTMLInputElement|null} */ (closestOf(el, 'input, select, textarea, label, option'));
    const link = around;
    if (!this.shared) {
      e.preventDefault();
      if (closestOf(el, INTERACTIVE)) this.hooks.note(NOTES.view);
      return;
    }
    if (this.replica.isNoControl(el)) {
      e.preventDefault();
      this.hooks.note(NOTES.noControl);
      return;
    }
    if (field && this.replica.isMasked(field) && nameOf(field) === 'input' && /^(checkbox|radio)$/.test(field.type)) {
      e.preventDefault();
      this.hooks.note(NOTES.masked);
      return;
    }
    if (field && around) {
      // A field, label or option inside a link: its default action would follow the link
      // in the replica. The visitor's page does the click (the tag checks where it goes).
      e.preventDefault();
      const target = identified(this.replica, field);
      if (target) this.hooks.send([{ k: 'control.click', i: target.id }]);
      return;
    }
    if (field && !(nameOf(field) === 'input' && BUTTON_TYPES.has(field.type))) {
      // Typed and changed: see changed(). A label's click goes on to its control at once
      // (in the same task): that second click is not a second highlight.
      const control = nameOf(field) === 'label' ? /** @type {HTMLLabelElement} */ (field).control : null;
      if (control && (linkAround(control) || !typable(control))) {
        // The label would pass its click to a control inside a link, or to a button: the
        // visitor's page does that click instead.
        e.preventDefault();
        const target = identified(this.replica, field);
        if (target) this.hooks.send([{ k: 'control.click', i: target.id }]);
        return;
      }
      if (control) {
        this.forwarded = control;
        window.setTimeout(() => { this.forwarded = null; }, 0);
      }
      return;
    }
    e.preventDefault();
    this.activate(el, link);
  }

  /**
   * Send what a click on `el` (inside `link`, if any) means on the visitor's page.
   * @private
   * @param {Element} el
   * @param {Element|null} link
   */
  activate(el, link) {
    const href = link && (attrOf(link, 'href') || attrOf(link, 'xlink:href') || '');
    if (link && href && !href.startsWith('#') && /^https?:/i.test(href.trim())) {
      this.hooks.send([{ k: 'control.navigate', url: new URL(href.trim()).href }]);
      return;
    }
    const target = identified(this.replica, link || closestOf(el, 'button, summary, input') || el);
    if (target) this.hooks.send([{ k: 'control.click', i: target.id }]);
  }

  /**
   * Refuse typing where it cannot be sent: view only, or a masked field.
   * @private
   * @param {InputEvent} e
   */
  beforeInput(e) {
    const el = this.targetOf(e);
    if (!el) return;
    if (!this.shared) {
      e.preventDefault();
      this.hooks.note(NOTES.view);
    } else if (this.replica.isNoControl(el)) {
      e.preventDefault();
      this.hooks.note(NOTES.noControl);
    } else if (this.replica.isMasked(el)) {
      e.preventDefault();
      this.hooks.note(NOTES.masked);
    }
  }

  /**
   * View only: keys that would change a select or toggle a box do nothing.
   * @private
   * @param {KeyboardEvent} e
   */
  keydown(e) {
    const el = this.targetOf(e);
    if (el && e.key === 'Enter' && closestOf(el, LINKS) === el) {
      // Enter on a focused link would follow it in the replica: do what a click does.
      e.preventDefault();
      if (this.shared) this.activate(el, el);
      else this.hooks.note(NOTES.view);
      return;
    }
    if (!el || this.shared && !this.replica.isMasked(el) && !this.replica.isNoControl(el)) return;
    const changesValue = nameOf(el) === 'select' ? /^(Arrow|Home|End|Page|[ a-zA-Z0-9]$)/.test(e.key)
      : nameOf(el) === 'input' && /^(checkbox|radio)$/.test(/** @type {HTMLInputElement} */ (el).type) ? e.key === ' ' || e.key.startsWith('Arrow')
        : false;
    if (changesValue) {
      e.preventDefault();
      this.hooks.note(this.shared ? NOTES.masked : NOTES.view);
    }
  }

  /**
   * View only (or a masked select): the drop-down does not open.
   * @private
   * @param {MouseEvent} e
   */
  mousedown(e) {
    const el = this.targetOf(e);
    const select = closestOf(el, 'select');
    if (select && (!this.shared || this.replica.isMasked(select) || this.replica.isNoControl(select))) {
      e.preventDefault();
      this.hooks.note(!this.shared ? NOTES.view : this.replica.isNoControl(select) ? NOTES.noControl : NOTES.masked);
    }
  }

  /**
   * A field changed in the replica (shared mode): send it as control.input. Text is sent
   * after a short pause in typing, or at once on change.
   * @private
   * @param {Event} e
   * @param {boolean} committed
   */
  changed(e, committed) {
    const el = /** @type {any} */ (this.targetOf(e));
    if (!el || !this.shared || this.replica.isMasked(el) || this.replica.isNoControl(el)) return;
    const found = identified(this.replica, el);
    if (!found || found.el !== el) return;
    const id = found.id;
    if (nameOf(el) === 'select') {
      if (committed) this.hooks.send([{ k: 'control.input', i: id, selected: [...el.selectedOptions].map((o) => o.index) }]);
    } else if (nameOf(el) === 'input' && /^(checkbox|radio)$/.test(el.type)) {
      if (committed) this.hooks.send([{ k: 'control.input', i: id, checked: !!el.checked }]);
    } else if ('value' in el) {
      if (committed && !this.typing.has(id)) return; // already sent while typing
      window.clearTimeout(this.typing.get(id));
      const flush = () => {
        this.typing.delete(id);
        this.hooks.send([{ k: 'control.input', i: id, value: String(el.value) }]);
      };
      if (committed) flush();
      else this.typing.set(id, window.setTimeout(flush, TYPING_MS));
    }
  }
}
