// Pointers and highlights over the replica: the visitor's cursor, click rings, text
// selections both ways, and the agent's own pointer sent as (node id, fraction).
import { h, throttle } from './dom.js';
import { boxOf, childrenOf, connectedOf, docOf, make, on, parentOf, queryAll, typeOf } from './safe-dom.js';

const POINTER_MS = 50; // at most 20 pointer events a second (issue 5)
const SELECTION_MS = 250;

/**
 * The nearest node with a replica id at or above `node` (crossing shadow roots).
 * @param {import('./replica.js').Replica} replica
 * @param {Node|null} node
 * @returns {{el: Element, id: number}|null}
 */
export function identified(replica, node) {
  let n = node;
  while (n) {
    const id = replica.idOf(n);
    if (id !== undefined && typeOf(n) === 1) return { el: /** @type {Element} */ (n), id };
    n = parentOf(n);
  }
  return null;
}

/**
 * A pointer event's place as protocol fields: node id and fractions inside its box.
 * @param {import('./replica.js').Replica} replica
 * @param {MouseEvent} e
 * @returns {{i: number, x: number, y: number}|null}
 */
export function pointOf(replica, e) {
  const found = identified(replica, /** @type {Node} */ (e.composedPath()[0] || e.target));
  if (!found) return null;
  const r = boxOf(found.el);
  const frac = (/** @type {number} */ v, /** @type {number} */ size) => (size > 0 ? Math.min(1, Math.max(0, v / size)) : 0.5);
  return { i: found.id, x: round(frac(e.clientX - r.left, r.width)), y: round(frac(e.clientY - r.top, r.height)) };
}

/** @param {number} v */
const round = (v) => Math.round(v * 10000) / 10000;

/** Everything drawn over the replica, and the agent's pointer and selection going out. */
export class Pointers {
  /**
   * @param {HTMLElement} overlay a layer over the iframe, in replica viewport pixels
   * @param {import('./replica.js').Replica} replica
   * @param {(events: object[], opts?: {merge?: boolean}) => void} send
   * @param {{owner?: string}} [opts] owner: a watcher's widget (issue 15) also shows the
   *   pointer of the agent who owns the session, labelled with this name
   */
  constructor(overlay, replica, send, opts = {}) {
    this.overlay = overlay;
    this.replica = replica;
    this.send = send;
    this.scale = 1;
    /** @type {{i: number, x: number, y: number}|null} */
    this.visitorAt = null;
    /** @type {any[]|null} */
    this.visitorRange = null;
    this.agentSelecting = false;
    this.selectionLayer = h('div', { class: 'selection-layer', 'aria-hidden': 'true' });
    this.cursor = h('div', { class: 'visitor-cursor', testid: 'cobrowse-visitor-cursor', hidden: true, role: 'img', 'aria-label': "Visitor's pointer" },
      h('span', { class: 'cursor-arrow' }), h('span', { class: 'cursor-label' }, 'Visitor'));
    /** @type {{i: number, x: number, y: number}|null} */
    this.ownerAt = null;
    this.ownerCursor = opts.owner
      ? h('div', { class: 'visitor-cursor owner-cursor', testid: 'cobrowse-owner-cursor', hidden: true, role: 'img', 'aria-label': `${opts.owner}'s pointer` },
        h('span', { class: 'cursor-arrow' }), h('span', { class: 'cursor-label' }, opts.owner))
      : null;
    overlay.append(this.selectionLayer, this.cursor, ...(this.ownerCursor ? [this.ownerCursor] : []));
    this.frame = 0;
    this.pointer = throttle((/** @type {object} */ p) => this.send([{ k: 'pointer', ...p }], { merge: true }), POINTER_MS);
    this.selection = throttle(() => this.sendSelection(), SELECTION_MS);
    /** @type {string} */
    this.lastSelection = 'null';
  }

  /**
   * Listen to the agent's pointer and selection in one replica document.
   * @param {Document} doc
   */
  hook(doc) {
    on(doc, 'mousemove', (e) => {
      const p = pointOf(this.replica, e);
      if (p) this.pointer(p);
    }, { capture: true, passive: true });
    on(doc, 'selectionchange', () => this.selection());
    on(doc, 'scroll', () => this.reposition(), { capture: true, passive: true });
  }

  /** @param {number} scale the replica's current zoom, to keep labels readable */
  setScale(scale) {
    this.scale = scale;
    this.reposition();
  }

  /** @param {{i: number, x: number, y: number}} p the visitor's pointer */
  visitorPointer(p) {
    this.visitorAt = p;
    this.reposition();
  }

  /** @param {{i: number, x: number, y: number}} p the owner's pointer, as a watcher sees it */
  ownerPointer(p) {
    this.ownerAt = p;
    this.reposition();
  }

  /** @param {any[]|null} r the visitor's selection */
  visitorSelection(r) {
    this.visitorRange = Array.isArray(r) && r.length === 4 ? r : null;
    this.reposition();
  }

  /**
   * Draw a ring where someone clicked (agent: yellow highlight; visitor: blue click).
   * @param {{i: number, x: number, y: number}} p
   * @param {'agent'|'visitor'|'wiggle'} who
   */
  ring(p, who) {
    const at = this.place(p);
    if (!at) return;
    const ring = h('div', { class: `ring ring-${who}`, testid: `cobrowse-ring-${who}`, 'aria-hidden': 'true' });
    ring.style.transform = `translate(${at.x}px, ${at.y}px) scale(${1 / this.scale})`;
    this.overlay.append(ring);
    window.setTimeout(() => ring.remove(), 1400);
  }

  /** Forget the visitor's pointer and selection (new page, session over). */
  clear() {
    this.visitorAt = null;
    this.visitorRange = null;
    this.ownerAt = null;
    this.cursor.hidden = true;
    if (this.ownerCursor) this.ownerCursor.hidden = true;
    this.selectionLayer.replaceChildren();
    this.pointer.cancel();
    this.selection.cancel();
  }

  /** Re-place the visitor's cursor and selection on the next frame (layout changed). */
  reposition() {
    if (this.frame) return;
    this.frame = window.requestAnimationFrame(() => {
      this.frame = 0;
      this.drawCursor();
      this.drawSelection();
    });
  }

  /**
   * Replica viewport pixels of a (node id, fraction) place, or null if unknown.
   * @private
   * @param {{i: number, x: number, y: number}} p
   */
  place(p) {
    const r = this.replica.rectOf(p.i);
    if (!r) return null;
    return { x: r.left + r.width * clamp(p.x), y: r.top + r.height * clamp(p.y) };
  }

  /** @private */
  drawCursor() {
    this.drawAt(this.cursor, this.visitorAt);
    if (this.ownerCursor) this.drawAt(this.ownerCursor, this.ownerAt);
  }

  /** @private @param {HTMLElement} cursor @param {{i: number, x: number, y: number}|null} p */
  drawAt(cursor, p) {
    const at = p && this.place(p);
    cursor.hidden = !at;
    if (at) cursor.style.transform = `translate(${at.x}px, ${at.y}px) scale(${1 / this.scale})`;
  }

  /** @private */
  drawSelection() {
    const boxes = [];
    const range = this.visitorRange && this.rangeOf(this.visitorRange);
    if (range) {
      const off = this.replica.frameOffset(range.startContainer);
      for (const r of range.getClientRects()) {
        if (r.width < 1 || r.height < 1) continue;
        const box = h('div', { class: 'visitor-selection', testid: 'cobrowse-visitor-selection' });
        box.style.transform = `translate(${r.left + off.x}px, ${r.top + off.y}px)`;
        box.style.width = `${r.width}px`;
        box.style.height = `${r.height}px`;
        boxes.push(box);
      }
    }
    this.selectionLayer.replaceChildren(...boxes);
  }

  /**
   * @private
   * @param {any[]} r [startId, startOffset, endId, endOffset]
   * @returns {Range|null}
   */
  rangeOf(r) {
    const start = this.replica.node(r[0]);
    const end = this.replica.node(r[2]);
    if (!start || !end || docOf(start) !== docOf(end) || !connectedOf(start)) return null;
    const len = (/** @type {Node} */ n) => (typeOf(n) === 3 ? /** @type {Text} */ (n).data.length : childrenOf(n).length);
    try {
      const range = make.range(/** @type {Document} */ (docOf(start)));
      range.setStart(start, Math.min(Math.max(0, Number(r[1]) || 0), len(start)));
      range.setEnd(end, Math.min(Math.max(0, Number(r[3]) || 0), len(end)));
      return range;
    } catch {
      return null;
    }
  }

  /** Send the agent's text selection in the replica (null when it is cleared). @private */
  sendSelection() {
    let r = null;
    for (const doc of this.documents()) {
      const sel = make.selection(doc);
      if (!sel || sel.rangeCount === 0 || sel.isCollapsed) continue;
      const range = sel.getRangeAt(0);
      const a = this.replica.idOf(range.startContainer);
      const b = this.replica.idOf(range.endContainer);
      if (a !== undefined && b !== undefined) r = [a, range.startOffset, b, range.endOffset];
    }
    const key = JSON.stringify(r);
    if (key === this.lastSelection) return;
    this.lastSelection = key;
    this.send([{ k: 'selection', r }], { merge: true });
  }

  /** @private */
  *documents() {
    const top = this.replica.doc;
    if (!top) return;
    yield top;
    for (const frame of queryAll(top, 'iframe')) {
      const inner = /** @type {HTMLIFrameElement} */ (frame).contentDocument;
      if (inner) yield inner;
    }
  }
}

/** @param {number} v */
function clamp(v) {
  return Math.min(1, Math.max(0, Number(v) || 0));
}
