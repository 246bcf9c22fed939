// The live replica of the visitor's page: an <iframe sandbox="allow-same-origin"> (never
// allow-scripts) whose document is /workspace/replica.html, served with a CSP that allows
// no script at all. Snapshots and mutations are applied with DOM APIs (replica-build.js).

import { Registry, TreeBuilder, adoptSheets, applyProps, countNodes } from './replica-build.js';
import { removeAttribute, safeImageData, setSafeAttribute } from './replica-policy.js';
import {
  boxOf, connectedOf, detach, docOf, make, nameOf, parentOf, queryAll, rootOf, scrollNow, typeOf, viewOf,
} from './safe-dom.js';

const SLICE_MS = 12;
const SETTLE_MS = 2000;
const HIDE_NODES = 5000;

/** A message to ourselves: the next task, without the 4 ms clamp of nested timers. */
const channel = new MessageChannel();
/** @type {Array<() => void>} */
const waiting = [];
channel.port1.onmessage = () => waiting.shift()?.();

/** @returns {Promise<void>} resolves in a new task (the page can paint and take input) */
function nextTask() {
  return new Promise((resolve) => {
    waiting.push(resolve);
    channel.port2.postMessage(null);
  });
}

/**
 * Create the replica's iframe element (the `cobrowse-replica` of the workspace). With the
 * site's id, the server narrows the replica's CSP to that site's resource origins.
 * @param {string} [site]
 * @returns {HTMLIFrameElement}
 */
export function createReplicaFrame(site) {
  const frame = document.createElement('iframe');
  frame.setAttribute('sandbox', 'allow-same-origin');
  frame.setAttribute('title', "Visitor's page (live copy)");
  frame.setAttribute('referrerpolicy', 'no-referrer');
  // The replica's requests carry none of the agent's cookies for the brand's origins
  // (issue 10, item 6): a credentialless iframe fetches everything without credentials.
  frame.setAttribute('credentialless', '');
  frame.dataset.testid = 'cobrowse-replica';
  frame.className = 'replica-frame';
  frame.src = site ? `/workspace/replica.html?site=${encodeURIComponent(site)}` : '/workspace/replica.html';
  return frame;
}

/** The replica document and its node ids. */
export class Replica {
  /**
   * @param {HTMLIFrameElement} frame an iframe made by createReplicaFrame, in the document
   * @param {{onDocument?: (doc: Document) => void, onDesync?: () => void}} [hooks]
   */
  constructor(frame, hooks = {}) {
    this.frame = frame;
    this.hooks = hooks;
    this.registry = new Registry();
    this.builder = new TreeBuilder(this.registry);
    // A document re-opened in the visitor's mode lost its listeners: hook it again.
    this.builder.onReopen = (doc) => this.hooked.delete(doc);
    /** @type {number|null} */
    this.docId = null;
    /** Pending shells of a visible-first snapshot: their children are still to come (fills). */
    this.shells = new Set();
    /** @type {Map<number, [string, string]>} a pending shell's own min-height, while it keeps its height */
    this.reserved = new Map();
    this.viewport = { vw: 1280, vh: 800 };
    this.generation = 0;
    this.building = false;
    /** @type {WeakSet<Document>} */
    this.hooked = new WeakSet();
    /** @type {WeakSet<Element>} style sheet links that loaded or failed */
    this.settled = new WeakSet();
    this.ready = new Promise((resolve) => {
      const done = () => {
        const doc = frame.contentDocument;
        if (doc && doc.readyState === 'complete' && new URL(doc.URL).pathname === '/workspace/replica.html') resolve(doc);
        else frame.addEventListener('load', done, { once: true });
      };
      done();
    });
  }

  /** @returns {Document|null} the replica's top document */
  get doc() {
    return this.frame.contentDocument;
  }

  /**
   * Replace the replica with a snapshot, in time slices. Resolves false if a newer
   * snapshot or clear() superseded it.
   * @param {{doc: any, vw?: number, vh?: number, sx?: number, sy?: number}} snap
   * @param {(done: number, total: number) => void} [onProgress]
   * @returns {Promise<boolean>}
   */
  async load(snap, onProgress) {
    const generation = ++this.generation;
    const doc = /** @type {Document} */ (await this.ready);
    if (generation !== this.generation) return false;
    if (!snap.doc || snap.doc.t !== 9) {
      this.frame.style.display = ''; // an older load it superseded may have hidden the frame
      return false;
    }
    this.building = true;
    delete this.frame.dataset.ready;
    const first = this.docId === null;
    this.viewport = { vw: Number(snap.vw) || 1280, vh: Number(snap.vh) || 800 };
    this.registry.clear();
    this.shells.clear();
    this.reserved.clear();
    this.docId = snap.doc.i;
    const total = countNodes(snap.doc);
    const pending = TreeBuilder.pending();
    // A first or big page stays hidden from the swap until its style sheets are in: one
    // style and layout pass with them instead of one without and one again with (a
    // 35k-element page pays ~0.5 s for each), and no flash of an unstyled page. A small
    // page replacing another swaps at once: no blank between two pages.
    const hide = first || total > HIDE_NODES;
    const steps = this.builder.document(doc, snap.doc, pending, {
      fresh: true,
      beforeSwap: () => { if (hide) this.frame.style.display = 'none'; },
    });
    try {
      for (;;) {
        const started = performance.now();
        let step = steps.next();
        while (!step.done && performance.now() - started < SLICE_MS) step = steps.next();
        onProgress?.(Math.min(pending.count, total), total);
        if (step.done) break;
        await nextTask();
        if (generation !== this.generation) return false;
      }
      performance.mark('cobrowse-replica-built');
      this.hookDocuments();
      if (hide) await this.stylesLoaded();
    } finally {
      this.building = false;
      if (generation === this.generation) this.frame.style.display = '';
    }
    if (generation !== this.generation) return false;
    this.addShells(pending);
    TreeBuilder.restoreScrolls(pending);
    this.scroll(this.docId, Number(snap.sx) || 0, Number(snap.sy) || 0);
    this.markReady(generation);
    return true;
  }

  /**
   * Resolves when the replica's style sheets have loaded or failed, or after SETTLE_MS.
   * @private
   */
  stylesLoaded() {
    /** @type {Promise<unknown>[]} */
    const sheets = [];
    for (const doc of this.documents()) {
      for (const link of queryAll(doc, 'link[rel~="stylesheet" i][href]:not([rel~="alternate" i]):not([disabled])')) {
        if (/** @type {HTMLLinkElement} */ (link).sheet || this.settled.has(link)) continue;
        sheets.push(new Promise((resolve) => {
          const done = () => {
            this.settled.add(link); // a failed sheet stays without .sheet: do not wait again
            resolve(undefined);
          };
          link.addEventListener('load', done, { once: true });
          link.addEventListener('error', done, { once: true });
        }));
      }
    }
    if (!sheets.length) return Promise.resolve();
    return Promise.race([Promise.all(sheets), new Promise((resolve) => setTimeout(resolve, SETTLE_MS))]);
  }

  /**
   * Mark the replica ready (`data-ready` on the iframe, for tests, QA scripts and
   * bench/bench_replica.py) once the applied snapshot is on screen: its style sheets
   * loaded (or failed, or SETTLE_MS passed), then the next frame painted.
   * @private
   * @param {number} generation
   */
  async markReady(generation) {
    await this.stylesLoaded();
    performance.mark('cobrowse-replica-styled');
    await new Promise((resolve) => requestAnimationFrame(() => resolve(nextTask())));
    if (generation !== this.generation) return;
    performance.mark('cobrowse-replica-ready');
    this.frame.dataset.ready = String(generation);
  }

  /**
   * The replica's documents: the top one and those of its same-origin frames.
   * @returns {Document[]}
   */
  documents() {
    /** @type {Document[]} */
    const found = [];
    const docs = [this.doc];
    while (docs.length) {
      const doc = docs.pop();
      if (!doc) continue;
      found.push(doc);
      for (const frame of queryAll(doc, 'iframe')) docs.push(/** @type {HTMLIFrameElement} */ (frame).contentDocument);
    }
    return found;
  }

  /** Empty the replica (session ended: nothing of the visitor's page is kept). */
  clear() {
    this.generation += 1;
    this.frame.style.display = '';
    this.registry.clear();
    this.shells.clear();
    this.reserved.clear();
    delete this.frame.dataset.rest;
    this.docId = null;
    const doc = this.doc;
    if (doc) rootOf(doc)?.remove();
  }

  /**
   * Apply mutation ops in order. Returns false when an op named an unknown node (the
   * replica has drifted: the caller asks for a fresh snapshot).
   * @param {any[]} ops
   * @returns {boolean}
   */
  apply(ops) {
    let inSync = true;
    const pending = TreeBuilder.pending();
    for (const op of Array.isArray(ops) ? ops : []) {
      if (!op || typeof op !== 'object') continue;
      try {
        if (!this.applyOne(op, pending)) inSync = false;
      } catch {
        inSync = false; // an op this replica cannot apply: a fresh snapshot will repair it
      }
    }
    for (const _ of this.builder.finish(pending)) { /* run to the end */ }
    this.addShells(pending);
    TreeBuilder.restoreScrolls(pending);
    this.hookDocuments();
    return inSync;
  }

  /**
   * Still loading the rest of a visible-first snapshot (issue 16): shown as `data-rest`
   * on the iframe ("loading", removed when the last shell is filled).
   * @returns {boolean}
   */
  get loadingRest() {
    return this.shells.size > 0;
  }

  /**
   * Note the pending shells just built; a shell keeps the height it has on the visitor's
   * page (`fh`) until it is complete, so what is shown does not move as fills come.
   * @private @param {import('./replica-build.js').Pending} pending
   */
  addShells(pending) {
    for (const [id, height] of pending.shells.splice(0)) {
      const el = /** @type {HTMLElement|undefined} */ (this.registry.nodes.get(id));
      if (!el) continue;
      this.shells.add(id);
      if (height > 0 && el.style) {
        this.reserved.set(id, [el.style.getPropertyValue('min-height'), el.style.getPropertyPriority('min-height')]);
        el.style.setProperty('min-height', `${height}px`, 'important');
      }
    }
    if (this.shells.size) this.frame.dataset.rest = 'loading';
    else delete this.frame.dataset.rest;
  }

  /** A shell is complete: its own min-height back. @private @param {number} id */
  completed(id) {
    this.shells.delete(id);
    const kept = this.reserved.get(id);
    const el = /** @type {HTMLElement|undefined} */ (this.registry.nodes.get(id));
    this.reserved.delete(id);
    if (!kept || !el) return;
    if (kept[0]) el.style.setProperty('min-height', kept[0], kept[1]);
    else el.style.removeProperty('min-height');
    // No style attribute left behind where the page had none: the DOM of a single snapshot.
    if (!Element.prototype.getAttribute.call(el, 'style')) Element.prototype.removeAttribute.call(el, 'style');
  }

  /**
   * The children of a pending shell (a `fill` op), appended in order; the shell is done
   * unless `more` says further fills of it follow.
   * @private
   * @param {any} op
   * @param {import('./replica-build.js').Pending} pending
   * @returns {boolean} false when the shell is unknown (the replica drifted)
   */
  fill(op, pending) {
    const shell = this.registry.nodes.get(op.i);
    if (!shell || !this.shells.has(op.i)) return false;
    const doc = /** @type {Document} */ (docOf(shell));
    for (const child of Array.isArray(op.c) ? op.c : []) {
      if (!child || typeof child !== 'object') continue;
      const steps = this.builder.subtree(doc, child, pending);
      let step = steps.next();
      while (!step.done) step = steps.next();
      if (!step.value) continue;
      try {
        Node.prototype.appendChild.call(shell, step.value);
      } catch {
        /* not a child this element can have: left out, like in a snapshot */
      }
    }
    if (!op.more) this.completed(op.i);
    this.addShells(pending); // shells in these children: their fills may follow in this event
    return true;
  }

  /**
   * @private
   * @param {any} op
   * @param {import('./replica-build.js').Pending} pending
   * @returns {boolean}
   */
  applyOne(op, pending) {
    if (op.o === 'fill') return this.fill(op, pending);
    if (op.o === 'add') {
      const parent = this.registry.nodes.get(op.p);
      if (!parent || !op.n) return false;
      const old = this.registry.nodes.get(op.n.i);
      if (old) {
        this.registry.forget(old);
        detach(old);
      }
      const doc = /** @type {Document} */ (docOf(parent));
      const steps = this.builder.subtree(doc, op.n, pending);
      let step = steps.next();
      while (!step.done) step = steps.next();
      if (!step.value) return true;
      const before = op.b == null ? null : this.registry.nodes.get(op.b) || null;
      try {
        Node.prototype.insertBefore.call(parent, step.value, before && parentOf(before) === parent ? before : null);
      } catch {
        return true;
      }
      return op.b == null || !!before;
    }
    const node = /** @type {any} */ (this.registry.nodes.get(op.i));
    if (!node) return false;
    const type = typeOf(node);
    const name = nameOf(node);
    switch (op.o) {
      case 'rm':
        this.registry.forget(node);
        detach(node);
        break;
      case 'attr':
        if (type !== 1) break;
        if (op.v === null || op.v === undefined) removeAttribute(node, String(op.a));
        else setSafeAttribute(node, String(op.a), String(op.v));
        break;
      case 'text':
        if (type === 3) node.data = String(op.x ?? '');
        else if (name === 'style') node.textContent = String(op.x ?? '');
        break;
      case 'prop':
        if (type === 1 && op.p && typeof op.p === 'object') applyProps(node, op.p);
        break;
      case 'css':
        if (name === 'style') node.textContent = String(op.css ?? '');
        else if (name === 'link') this.inlineSheet(node, String(op.css ?? ''), op.i);
        break;
      case 'ss':
        if (type === 9 || type === 11) adoptSheets(node, op.ss);
        break;
      case 'img':
        if (name === 'img' && safeImageData(op.img)) Element.prototype.setAttribute.call(node, 'src', op.img);
        break;
      default:
        break;
    }
    return true;
  }

  /**
   * Replace a <link> by a <style> holding the sheet's text (CSS object model changes).
   * @private
   * @param {Element} link
   * @param {string} css
   * @param {number} id
   */
  inlineSheet(link, css, id) {
    const style = make.element(/** @type {Document} */ (docOf(link)), 'style');
    style.textContent = css;
    link.replaceWith(style);
    this.registry.add(id, style);
  }

  /**
   * Scroll the replica's window (the document's id) or one element to the visitor's offset.
   * @param {number|null} id
   * @param {number} x
   * @param {number} y
   */
  scroll(id, x, y) {
    const node = /** @type {any} */ (id == null ? null : this.registry.nodes.get(id));
    if (!node) return;
    // Instant both ways (issue 11, item 4): scrollTo(x, y) would animate on pages with
    // scroll-behavior: smooth, and the replica would trail the visitor by up to a second.
    if (typeOf(node) === 9) {
      const win = viewOf(node);
      if (win) scrollNow(win, x, y);
    } else if (typeOf(node) === 1) scrollNow(node, x, y);
  }

  /**
   * The node id of a replica node, if it has one.
   * @param {Node|null} node
   * @returns {number|undefined}
   */
  idOf(node) {
    return node ? this.registry.ids.get(node) : undefined;
  }

  /**
   * The node of an id.
   * @param {number} id
   * @returns {Node|undefined}
   */
  node(id) {
    return this.registry.nodes.get(id);
  }

  /**
   * Whether a node is masked (its value never left the visitor's browser).
   * @param {Node} node
   */
  isMasked(node) {
    return this.registry.masked.has(node);
  }

  /**
   * Whether the site keeps a node from the agent (``--no-control``: the server marks the
   * element, its descendants and its labels; ancestors are checked for text targets).
   * @param {Node|null} node
   */
  isNoControl(node) {
    for (let n = node, hops = 0; n && hops < 64; n = n.parentNode, hops++) {
      if (this.registry.noControl.has(n)) return true;
    }
    return false;
  }

  /**
   * Offset of a node's document inside the top replica viewport (nested frames add up).
   * @param {Node} node
   * @returns {{x: number, y: number}}
   */
  frameOffset(node) {
    let x = 0;
    let y = 0;
    let doc = docOf(node);
    while (doc && doc !== this.doc) {
      const host = /** @type {HTMLIFrameElement|null} */ (viewOf(doc)?.frameElement ?? null);
      if (!host) break;
      const r = host.getBoundingClientRect();
      x += r.left + host.clientLeft;
      y += r.top + host.clientTop;
      doc = host.ownerDocument;
    }
    return { x, y };
  }

  /**
   * A node's box in the top replica viewport's coordinates, or null.
   * @param {number} id
   * @returns {DOMRect|null}
   */
  rectOf(id) {
    const node = this.registry.nodes.get(id);
    if (!node || !connectedOf(node)) return null;
    let rect;
    if (typeOf(node) === 1) rect = boxOf(/** @type {Element} */ (node));
    else if (typeOf(node) === 3) {
      const range = make.range(/** @type {Document} */ (docOf(node)));
      range.selectNodeContents(node);
      rect = range.getBoundingClientRect();
    } else return null;
    const off = this.frameOffset(node);
    return new DOMRect(rect.left + off.x, rect.top + off.y, rect.width, rect.height);
  }

  /**
   * Call hooks.onDocument once for every replica document (top and nested frames), so
   * the workspace can listen to the agent's pointer, clicks and typing there.
   * @private
   */
  hookDocuments() {
    for (const doc of this.documents()) {
      if (this.hooked.has(doc)) continue;
      this.hooked.add(doc);
      this.hooks.onDocument?.(doc);
    }
  }
}
