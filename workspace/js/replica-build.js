// Turns snapshot JSON (docs/protocol.md "Snapshot format") into DOM nodes of the replica
// document, with DOM APIs only: createElement(NS), setAttribute, createTextNode. Never
// innerHTML, outerHTML, srcdoc, document.write or insertAdjacentHTML of visitor data.
// The walk is iterative and a generator, so a large page is built in slices.

import {
  MATHML_NS, REPLICA_CSS, SVG_NS, allowedTag, hardenElement, safeImageData, setSafeAttribute,
} from './replica-policy.js';
import {
  adopt, append, childrenOf, docOf, make, modeOf, nameOf, rootOf, scrollNow, shadowOf, typeOf, viewOf,
} from './safe-dom.js';

/** Node ids of the replica, both ways, and what is masked. */
export class Registry {
  constructor() {
    /** @type {Map<number, Node>} */
    this.nodes = new Map();
    // A Map, not a WeakMap: several times faster to fill with a big page's nodes, and
    // forget() and clear() keep it in step with `nodes`.
    /** @type {Map<Node, number>} */
    this.ids = new Map();
    /** @type {WeakSet<Node>} */
    this.masked = new WeakSet();
    /** elements the site's --no-control rules keep from the agent (issue 14) */
    this.noControl = new WeakSet();
  }

  /**
   * @param {number} id
   * @param {Node} node
   */
  add(id, node) {
    if (!Number.isInteger(id)) return;
    const before = this.nodes.get(id);
    if (before && before !== node) this.ids.delete(before);
    this.nodes.set(id, node);
    this.ids.set(node, id);
  }

  /** Forget a node and everything under it (shadow roots and nested documents too).
   * @param {Node} root */
  forget(root) {
    const stack = [root];
    while (stack.length) {
      const node = /** @type {Node} */ (stack.pop());
      const id = this.ids.get(node);
      if (id !== undefined) {
        this.ids.delete(node);
        if (this.nodes.get(id) === node) this.nodes.delete(id);
      }
      for (const child of childrenOf(node)) stack.push(child);
      const el = /** @type {Element} */ (node);
      const shadow = shadowOf(el);
      if (shadow) stack.push(shadow);
      if (nameOf(el) === 'iframe') {
        const inner = /** @type {HTMLIFrameElement} */ (el).contentDocument;
        if (inner) stack.push(inner);
      }
    }
  }

  /** Forget everything. */
  clear() {
    this.nodes.clear();
    this.ids.clear();
  }
}

/**
 * Apply form state as properties (never as attributes: the page's markup stays as sent).
 * @param {Element} el
 * @param {{value?: string, checked?: boolean, selected?: number[]}} p
 */
export function applyProps(el, p) {
  const field = /** @type {any} */ (el);
  try {
    if ('value' in p && 'value' in field && field.type !== 'file') {
      const next = String(p.value ?? '');
      // The visitor's page echoing what the agent typed a moment ago is a prefix of what the
      // agent's focused field holds by now: applying it would eat the keys typed since.
      const stale = field.ownerDocument?.activeElement === field && String(field.value).startsWith(next);
      if (field.value !== next && !stale) field.value = next;
    }
    if ('checked' in p && 'checked' in field) field.checked = !!p.checked;
    if (Array.isArray(p.selected) && field.options) {
      const chosen = new Set(p.selected);
      Array.from(field.options).forEach((opt, index) => {
        opt.selected = chosen.has(index);
      });
    }
  } catch {
    /* a property this element refuses: keep what it shows */
  }
}

/**
 * Give a document or shadow root its adopted style sheets (plus the workspace's own
 * sheet on documents), as constructed sheets of that document's window.
 * @param {Document|ShadowRoot} root
 * @param {unknown} texts
 */
export function adoptSheets(root, texts) {
  const doc = docOf(root);
  const win = /** @type {any} */ (doc && viewOf(doc));
  const list = Array.isArray(texts) ? texts.filter((t) => typeof t === 'string') : [];
  if (typeOf(root) === 9) list.push(REPLICA_CSS);
  if (!win) return;
  try {
    adopt(root, list.map((text) => {
      const sheet = new win.CSSStyleSheet();
      sheet.replaceSync(text);
      return sheet;
    }));
  } catch {
    /* constructed sheets unsupported: the page shows without them */
  }
}

/**
 * @typedef {{i: number, t: number, n?: string, ns?: string, a?: Record<string, string>,
 *   c?: SnapNode[], x?: string, p?: object, sh?: SnapNode, d?: SnapNode, css?: string,
 *   sc?: [number, number], img?: string, m?: number, ss?: string[], f?: number, fh?: number}} SnapNode
 * @typedef {{props: Array<[Element, object]>, scrolls: Array<[Element, [number, number]]>,
 *   frames: Array<[HTMLIFrameElement, SnapNode]>, count: number, shells: Array<[number, number]>}} Pending
 *   (`shells`: [id, height] of the pending shells of a visible-first snapshot built, issue 16)
 */

/** Builds snapshot subtrees into a document, registering every node. */
export class TreeBuilder {
  /** @param {Registry} registry */
  constructor(registry) {
    this.registry = registry;
    /** @type {((doc: Document) => void)|null} called when a document was re-opened */
    this.onReopen = null;
  }

  /** @returns {Pending} */
  static pending() {
    return { props: [], scrolls: [], frames: [], count: 0, shells: [] };
  }

  /**
   * Build one subtree (element or text) detached in `doc`. Yields the node count now and
   * then; returns the root node, or null if the policy refused it.
   * @param {Document} doc
   * @param {SnapNode} json
   * @param {Pending} pending
   * @returns {Generator<number, Node|null>}
   */
  *subtree(doc, json, pending) {
    /** @type {Array<[SnapNode, Node|null]>} */
    const stack = [[json, null]];
    /** @type {Node|null} */
    let root = null;
    while (stack.length) {
      const [item, parent] = /** @type {[SnapNode, Node|null]} */ (stack.pop());
      const made = this.create(doc, item, pending);
      if (++pending.count % 400 === 0) yield pending.count;
      if (!made) continue;
      const { node, descend } = made;
      if (parent) {
        try {
          append(parent, node);
        } catch {
          continue;
        }
      } else {
        root = node;
      }
      this.registry.add(item.i, node);
      if (!descend || !item.c && !item.sh) continue;
      const el = /** @type {Element} */ (node);
      if (item.sh && item.sh.t === 11) this.shadow(el, item.sh, stack);
      const kids = Array.isArray(item.c) ? item.c : [];
      for (let k = kids.length - 1; k >= 0; k--) if (kids[k] && typeof kids[k] === 'object') stack.push([kids[k], el]);
    }
    return root;
  }

  /**
   * Attach an open shadow root; when the host cannot have one, its content is left out
   * (never shown inline: the "shadow" text of a <style> would become its style sheet).
   * @private
   * @param {Element} host
   * @param {SnapNode} sh
   * @param {Array<[SnapNode, Node|null]>} stack
   */
  shadow(host, sh, stack) {
    /** @type {Node} */
    let root;
    try {
      root = Element.prototype.attachShadow.call(host, { mode: 'open' });
      this.registry.add(sh.i, root);
      adoptSheets(/** @type {ShadowRoot} */ (root), sh.ss);
    } catch {
      return; /* not a valid shadow host (the server refuses those too) */
    }
    const kids = Array.isArray(sh.c) ? sh.c : [];
    for (let k = kids.length - 1; k >= 0; k--) if (kids[k] && typeof kids[k] === 'object') stack.push([kids[k], root]);
  }

  /**
   * Create one node without its children.
   * @private
   * @param {Document} doc
   * @param {SnapNode} n
   * @param {Pending} pending
   * @returns {{node: Node, descend: boolean} | null}
   */
  create(doc, n, pending) {
    if (n.t === 3) return { node: make.text(doc, String(n.x ?? '')), descend: false };
    if (n.t !== 1 || typeof n.n !== 'string' || !allowedTag(n.n)) return null;
    let name = n.n;
    const lower = name.toLowerCase();
    const canvasPicture = lower === 'canvas' && !n.ns;
    const inlineSheet = lower === 'link' && !n.ns && typeof n.css === 'string';
    if (canvasPicture) name = 'img';
    if (inlineSheet) name = 'style';
    /** @type {Element} */
    let el;
    try {
      if (n.ns === 'svg') el = make.elementNS(doc, SVG_NS, name);
      else if (n.ns === 'math') el = make.elementNS(doc, MATHML_NS, name);
      else if (n.ns) return null;
      else el = make.element(doc, name);
    } catch {
      return null;
    }
    for (const [key, value] of Object.entries(n.a || {})) {
      if (inlineSheet && (key === 'href' || key === 'rel')) continue;
      setSafeAttribute(el, key, value);
    }
    hardenElement(el);
    if (canvasPicture && safeImageData(n.img)) el.setAttribute('src', /** @type {string} */ (n.img));
    if (n.m) this.registry.masked.add(el);
    if (n.nc) this.registry.noControl.add(el);
    if (n.p && typeof n.p === 'object') pending.props.push([el, n.p]);
    if (Array.isArray(n.sc)) pending.scrolls.push([el, n.sc]);
    if (n.f === 1) pending.shells.push([n.i, Number(n.fh) || 0]);
    if (lower === 'iframe' && n.d && n.d.t === 9) {
      el.setAttribute('sandbox', 'allow-same-origin');
      pending.frames.push([/** @type {HTMLIFrameElement} */ (el), n.d]);
      return { node: el, descend: false };
    }
    if ((lower === 'style' || inlineSheet) && typeof n.css === 'string') {
      el.textContent = n.css;
      return { node: el, descend: false };
    }
    return { node: el, descend: !canvasPicture };
  }

  /**
   * Build a whole document (the replica's, or a nested same-origin frame's) in place:
   * the new content is built detached, then replaces the old at once; form state, nested
   * frames and scroll positions follow.
   * @param {Document} doc
   * @param {SnapNode} json a document node (t = 9)
   * @param {Pending} pending
   * @param {{beforeSwap?: () => void, fresh?: boolean}} [opts] beforeSwap: called just
   *   before the new content replaces the old; fresh: the registry was just cleared, so the
   *   old nodes need not be forgotten one by one
   * @returns {Generator<number, void>}
   */
  *document(doc, json, pending, { beforeSwap, fresh } = {}) {
    doc = this.inMode(doc, json);
    this.registry.add(json.i, doc);
    /** @type {Node[]} */
    const roots = [];
    for (const child of json.c || []) {
      if (!child || child.t !== 1) continue;
      const root = yield* this.subtree(doc, child, pending);
      if (root) roots.push(root);
    }
    // The old page stays on screen while the new one is built; they swap in one go.
    beforeSwap?.();
    const old = rootOf(doc);
    if (old) {
      if (!fresh) this.registry.forget(old);
      old.remove();
    }
    for (const root of roots) {
      try {
        append(doc, root);
      } catch {
        /* a document holds one root element */
      }
    }
    adoptSheets(doc, json.ss);
    yield* this.finish(pending);
  }

  /**
   * The document in the visitor's mode (issue 11, item 3): with a doctype, standards mode;
   * without, quirks mode. A document's mode is fixed when it is parsed, so a document in
   * the wrong one is re-opened with a constant prefix (never visitor text): about:blank
   * frames start in quirks mode, replica.html in standards mode. Re-opening drops the
   * document's listeners: onReopen lets the replica hook it again.
   * @private
   * @param {Document} doc
   * @param {SnapNode} json
   * @returns {Document}
   */
  inMode(doc, json) {
    const standards = (json.c || []).some((c) => c && c.t === 10);
    if ((modeOf(doc).compatMode === 'CSS1Compat') === standards) return doc;
    try {
      Document.prototype.open.call(doc);
      Document.prototype.write.call(doc, standards ? '<!DOCTYPE html>' : '');
      Document.prototype.close.call(doc);
      this.onReopen?.(doc);
    } catch {
      /* the page shows in the other mode */
    }
    return doc;
  }

  /**
   * Apply what needs the nodes attached: form state, nested frames. Element scroll
   * positions wait for restoreScrolls(), once the page is laid out.
   * @param {Pending} pending
   * @returns {Generator<number, void>}
   */
  *finish(pending) {
    for (const [el, p] of pending.props.splice(0)) applyProps(el, p);
    for (const [frame, d] of pending.frames.splice(0)) {
      const inner = frame.contentDocument;
      if (inner) yield* this.document(inner, d, pending);
    }
  }

  /**
   * Scroll the elements of the snapshot or mutation to their offsets (needs layout).
   * @param {Pending} pending
   */
  static restoreScrolls(pending) {
    for (const [el, [left, top]] of pending.scrolls.splice(0)) scrollNow(el, Number(left) || 0, Number(top) || 0);
  }
}

/**
 * Count the nodes of a snapshot tree (iteratively), for the progress indicator.
 * @param {SnapNode} json
 * @returns {number}
 */
export function countNodes(json) {
  let count = 0;
  const stack = [json];
  while (stack.length) {
    const n = stack.pop();
    if (!n || typeof n !== 'object') continue;
    count += 1;
    if (Array.isArray(n.c)) for (const c of n.c) stack.push(c);
    if (n.sh) stack.push(n.sh);
    if (n.d) stack.push(n.d);
  }
  return count;
}
