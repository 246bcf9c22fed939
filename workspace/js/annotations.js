// Drawing on the visitor's page (issue 15): the toolbar (pen, arrow, rectangle, pin, clear),
// the drawing surface over the replica, and the strokes drawn in the replica as the visitor
// sees them. Every point goes out anchored like the pointer, (node id, fraction across,
// fraction down) of the element under it, so it lands on the same content on the visitor's
// screen whatever the two window sizes and scroll positions. Points are coalesced: at most a
// few per animation frame, in one `annotate` event.
import { h } from './dom.js';
import { identified } from './cursors.js';
import { boxOf, on } from './safe-dom.js';

/** Read through the prototype: a replica page may name an element after a document method. */
const elementFromPoint = Document.prototype.elementFromPoint;

/** How long a finished, unpinned stroke stays (the tag uses the same time). */
export const FADE_MS = 4000;
const FADE_OUT_MS = 700;
/** At most this many points leave per animation frame (the protocol allows 64 per event). */
const POINTS_PER_FRAME = 6;
/** A pen point closer than this (replica pixels) to the previous one adds nothing. */
const MIN_STEP = 3;
const SVG = 'http://www.w3.org/2000/svg';

const TOOLS = Object.freeze({
  pen: { label: 'Pen', title: 'Draw freehand on the visitor\'s page' },
  arrow: { label: 'Arrow', title: 'Draw an arrow' },
  rect: { label: 'Box', title: 'Draw a rectangle' },
});

/**
 * @typedef {[number, number, number]} Anchor node id, fraction across, fraction down
 * @typedef {{tool: string, points: Anchor[], pin: boolean, node: SVGElement, timer: number}} Stroke
 */

/**
 * Keep at most `n` of `points`, evenly spread, always with the last one.
 * @template T
 * @param {T[]} points
 * @param {number} n
 * @returns {T[]}
 */
export function thin(points, n) {
  if (points.length <= n) return points;
  const out = [];
  for (let k = 1; k <= n; k++) out.push(points[Math.round((k * points.length) / n) - 1]);
  return out;
}

/** The toolbar and the strokes of one session's replica. */
export class Annotations {
  /**
   * @param {HTMLElement} toolbar slot in the widget's header
   * @param {HTMLElement} overlay layer over the iframe, in replica viewport pixels
   * @param {import('./replica.js').Replica} replica
   * @param {(events: object[], opts?: {merge?: boolean}) => Promise<any>} send
   * @param {{scale: () => number}} view the replica's current zoom
   */
  constructor(toolbar, overlay, replica, send, view) {
    this.replica = replica;
    this.send = send;
    this.view = view;
    /** @type {string} the active tool, '' when none */
    this.tool = '';
    this.pinned = false;
    /** @type {Map<number, Stroke>} */
    this.strokes = new Map();
    this.nextId = 1 + Math.floor(Math.random() * 1000) * 1000;
    /** The stroke being drawn: its id, tool, and the points not sent yet. */
    /** @type {{id: number, tool: string, pending: Anchor[], last: {x: number, y: number}|null}|null} */
    this.drawing = null;
    this.frame = 0;
    this.redrawFrame = 0;
    this.buttons = Object.fromEntries(Object.entries(TOOLS).map(([tool, t]) => [tool, h('button', {
      type: 'button', class: 'small tool', testid: `annotate-${tool}`, 'aria-pressed': 'false', title: t.title,
      'data-tool': tool, onclick: () => this.choose(tool),
    }, t.label)]));
    this.pinBtn = h('button', {
      type: 'button', class: 'small tool', testid: 'annotate-pin', 'aria-pressed': 'false',
      title: 'Keep new drawings until cleared (otherwise they fade after a few seconds)', onclick: () => this.togglePin(),
    }, 'Pin');
    this.clearBtn = h('button', {
      type: 'button', class: 'small', testid: 'annotate-clear', title: 'Clear the drawings on both screens',
      onclick: () => this.clearAll(true),
    }, 'Clear');
    toolbar.replaceChildren(h('div', { class: 'cb-tools', role: 'toolbar', 'aria-label': "Draw on the visitor's page" },
      ...Object.values(this.buttons), this.pinBtn, this.clearBtn));
    this.layer = /** @type {SVGSVGElement} */ (document.createElementNS(SVG, 'svg'));
    this.layer.setAttribute('class', 'annotation-layer');
    this.layer.setAttribute('aria-hidden', 'true');
    this.surface = h('div', { class: 'draw-surface', testid: 'annotate-surface', hidden: true });
    this.surface.addEventListener('pointerdown', (e) => this.down(e));
    this.surface.addEventListener('pointermove', (e) => this.move(e));
    this.surface.addEventListener('pointerup', (e) => this.up(e));
    this.surface.addEventListener('pointercancel', (e) => this.up(e));
    overlay.append(this.layer, this.surface);
  }

  /** Listen to scrolling in one replica document (strokes follow their elements). @param {Document} doc */
  hook(doc) {
    on(doc, 'scroll', () => this.redraw(), { capture: true, passive: true });
  }

  /**
   * Pick a tool, or put it down when it is the active one (the replica takes clicks again).
   * @param {string} tool
   */
  choose(tool) {
    this.tool = this.tool === tool ? '' : tool;
    for (const [name, b] of Object.entries(this.buttons)) b.setAttribute('aria-pressed', String(name === this.tool));
    this.surface.hidden = !this.tool;
    this.surface.dataset.tool = this.tool;
  }

  /** @private */
  togglePin() {
    this.pinned = !this.pinned;
    this.pinBtn.setAttribute('aria-pressed', String(this.pinned));
  }

  /**
   * The visitor cleared the drawings (or the agent did, with `tell`).
   * @param {boolean} tell send annotate.clear to the visitor
   */
  clearAll(tell) {
    for (const id of [...this.strokes.keys()]) this.remove(id);
    this.drawing = null;
    if (tell) this.send([{ k: 'annotate.clear' }]).catch(() => {});
  }

  /**
   * A stroke the owner draws, as a watcher sees it (issue 15): the same `annotate` events
   * the visitor's tag gets. Pen points add up; an arrow's or a box's two points replace.
   * @param {{a: number, tool: string, p: any[], end?: boolean, pin?: boolean}} ev
   */
  show(ev) {
    const id = Number(ev.a);
    const points = (Array.isArray(ev.p) ? ev.p : []).filter((p) => Array.isArray(p) && p.length === 3 && p.every(Number.isFinite))
      .map((p) => /** @type {Anchor} */ ([p[0], p[1], p[2]]));
    if (!id || !points.length) return;
    const tool = Object.hasOwn(TOOLS, ev.tool) ? ev.tool : 'pen';
    const s = this.strokes.get(id) || this.stroke(id, tool, !!ev.pin);
    if (s.tool === 'pen') s.points.push(...points);
    else s.points = points.length >= 2 ? points.slice(-2) : [s.points[0] || points[0], points[0]];
    this.redraw();
    if (ev.end && !s.pin && !s.timer) this.fadeLater(id, s);
  }

  /** The session is over or the page changed: forget everything, send nothing. */
  reset() {
    this.clearAll(false);
    if (this.tool) this.choose(this.tool);
  }

  /**
   * The anchor under a pointer event over the surface: the replica element there and the
   * fractions inside its box.
   * @private
   * @param {PointerEvent} e
   * @returns {{anchor: Anchor, x: number, y: number}|null}
   */
  anchorAt(e) {
    const doc = this.replica.doc;
    if (!doc) return null;
    const box = this.surface.getBoundingClientRect();
    const scale = this.view.scale() || 1;
    const x = (e.clientX - box.left) / scale;
    const y = (e.clientY - box.top) / scale;
    const found = identified(this.replica, elementFromPoint.call(doc, x, y));
    if (!found) return null;
    const r = boxOf(found.el);
    const frac = (/** @type {number} */ v, /** @type {number} */ size) => (size > 0 ? Math.min(1, Math.max(0, v / size)) : 0.5);
    const round = (/** @type {number} */ v) => Math.round(v * 100000) / 100000;
    return { anchor: [found.id, round(frac(x - r.left, r.width)), round(frac(y - r.top, r.height))], x, y };
  }

  /** @private @param {PointerEvent} e */
  down(e) {
    if (!this.tool || e.button !== 0) return;
    const at = this.anchorAt(e);
    if (!at) return;
    e.preventDefault();
    try {
      this.surface.setPointerCapture(e.pointerId); // keep the stroke when the mouse leaves the replica
    } catch {
      /* not an active pointer (a synthetic event): draw without capture */
    }
    const id = this.nextId++;
    this.drawing = { id, tool: this.tool, pending: [at.anchor], last: { x: at.x, y: at.y } };
    const stroke = this.stroke(id, this.tool, this.pinned);
    stroke.points = this.tool === 'pen' ? [at.anchor] : [at.anchor, at.anchor];
    this.redraw();
    this.schedule();
  }

  /** @private @param {PointerEvent} e */
  move(e) {
    const d = this.drawing;
    if (!d) return;
    const at = this.anchorAt(e);
    if (!at) return;
    const stroke = this.strokes.get(d.id);
    if (!stroke) return;
    if (d.tool === 'pen') {
      if (d.last && Math.hypot(at.x - d.last.x, at.y - d.last.y) < MIN_STEP) return;
      stroke.points.push(at.anchor);
      d.pending.push(at.anchor);
    } else {
      stroke.points = [stroke.points[0], at.anchor];
      d.pending = [at.anchor]; // only the latest end counts
    }
    d.last = { x: at.x, y: at.y };
    this.redraw();
    this.schedule();
  }

  /** @private @param {PointerEvent} e */
  up(e) {
    const d = this.drawing;
    if (!d) return;
    if (e.type === 'pointerup') this.move(e);
    this.drawing = null;
    window.cancelAnimationFrame(this.frame);
    this.frame = 0;
    this.flush(d, true);
    const stroke = this.strokes.get(d.id);
    if (stroke && !stroke.pin) this.fadeLater(d.id, stroke);
  }

  /** One send per animation frame while drawing. @private */
  schedule() {
    if (this.frame) return;
    this.frame = window.requestAnimationFrame(() => {
      this.frame = 0;
      if (this.drawing) this.flush(this.drawing, false);
    });
  }

  /**
   * Send the points gathered since the last frame (pen: thinned to a few; arrow and box:
   * the start and the latest end).
   * @private
   * @param {{id: number, tool: string, pending: Anchor[]}} d
   * @param {boolean} end
   */
  flush(d, end) {
    const stroke = this.strokes.get(d.id);
    if (!stroke || (!d.pending.length && !end)) return;
    /** @type {Anchor[]} */
    const p = d.tool === 'pen' ? thin(d.pending, POINTS_PER_FRAME) : [stroke.points[0], stroke.points[stroke.points.length - 1]];
    d.pending = [];
    /** @type {any} */
    const ev = { k: 'annotate', a: d.id, tool: d.tool, p: p.length ? p : [stroke.points[stroke.points.length - 1]], pin: stroke.pin };
    if (end) ev.end = true;
    this.send([ev], { merge: true }).catch(() => {});
  }

  /**
   * @private
   * @param {number} id
   * @param {string} tool
   * @param {boolean} pin
   */
  stroke(id, tool, pin) {
    const node = /** @type {SVGElement} */ (document.createElementNS(SVG, tool === 'pen' ? 'polyline' : tool === 'rect' ? 'rect' : 'g'));
    if (tool === 'arrow') node.append(document.createElementNS(SVG, 'line'), document.createElementNS(SVG, 'polygon'));
    node.setAttribute('class', `stroke stroke-${tool}`);
    node.dataset.testid = 'annotation';
    node.dataset.tool = tool;
    if (pin) node.dataset.pinned = '';
    this.layer.append(node);
    /** @type {Stroke} */
    const s = { tool, points: [], pin, node, timer: 0 };
    this.strokes.set(id, s);
    return s;
  }

  /** @private @param {number} id @param {Stroke} s */
  fadeLater(id, s) {
    s.timer = window.setTimeout(() => {
      s.node.dataset.fading = '';
      s.timer = window.setTimeout(() => this.remove(id), FADE_OUT_MS);
    }, FADE_MS);
  }

  /** @private @param {number} id */
  remove(id) {
    const s = this.strokes.get(id);
    if (!s) return;
    window.clearTimeout(s.timer);
    s.node.remove();
    this.strokes.delete(id);
  }

  /** Place the strokes again on the next frame (scroll, layout, new points). */
  redraw() {
    if (this.redrawFrame) return;
    this.redrawFrame = window.requestAnimationFrame(() => {
      this.redrawFrame = 0;
      for (const s of this.strokes.values()) this.render(s);
    });
  }

  /** @private @param {Stroke} s */
  render(s) {
    const pts = [];
    for (const [i, fx, fy] of s.points) {
      const r = this.replica.rectOf(i);
      if (r) pts.push({ x: r.left + r.width * fx, y: r.top + r.height * fy });
    }
    const n = s.node;
    const f = (/** @type {number} */ v) => String(Math.round(v * 10) / 10);
    if (s.tool === 'pen') {
      n.setAttribute('points', pts.map((p) => `${f(p.x)},${f(p.y)}`).join(' '));
      return;
    }
    if (pts.length < 2) return;
    const [a, b] = pts;
    if (s.tool === 'rect') {
      n.setAttribute('x', f(Math.min(a.x, b.x)));
      n.setAttribute('y', f(Math.min(a.y, b.y)));
      n.setAttribute('width', f(Math.abs(b.x - a.x)));
      n.setAttribute('height', f(Math.abs(b.y - a.y)));
      return;
    }
    const line = /** @type {Element} */ (n.firstChild);
    line.setAttribute('x1', f(a.x));
    line.setAttribute('y1', f(a.y));
    line.setAttribute('x2', f(b.x));
    line.setAttribute('y2', f(b.y));
    const ang = Math.atan2(b.y - a.y, b.x - a.x);
    const at = (/** @type {number} */ d) => `${f(b.x - 16 * Math.cos(ang + d))},${f(b.y - 16 * Math.sin(ang + d))}`;
    /** @type {Element} */ (n.lastChild).setAttribute('points', `${f(b.x)},${f(b.y)} ${at(0.45)} ${at(-0.45)}`);
  }
}
