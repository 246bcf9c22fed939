/**
 * Visible first (issue 16, item 3; docs/protocol.md "Visible first"): a big snapshot goes as
 * a first part that holds the skeleton of the document and every subtree that meets the
 * viewport, then `fill` ops that give the rest, in document order. The tree is serialized
 * once: elements of the body that lie wholly outside the viewport keep their own node (tag,
 * attributes, id) and lose their children to a fill; the element carries `"f": 1` (a
 * pending shell) until its last fill, and `"fh"`, its height, which the replica keeps for it
 * meanwhile. Ids and masking are those of the one serialization,
 * so the finished replica is the single-shot one.
 * @module visible
 */
import * as dom from "./dom.js";

/** A snapshot under this much JSON text (about the body cap) goes in one piece. */
export const ONE_SHOT_CHARS = 256 * 1024;
/** JSON text per fill event: about 20 KB gzipped, half a second at 256 kbit/s. */
export const FILL_CHARS = 96 * 1024;
/** Containers whose trailing children (below the viewport) may wait for fills of their own. */
const TAIL = new Set(["body", "div", "section", "article", "main", "ul", "ol", "dl", "table", "tbody", "td", "form"]);
/**
 * Elements never looked into: the server drops them or shows a placeholder for them
 * (cobrowse/sanitize/policy.py), so a shell inside would be unknown to it and its fill
 * refused. SVG and MathML (`ns`) neither: their children go whole.
 */
const OPAQUE = new Set([
  "script", "noscript", "template", "noembed", "noframes", "plaintext", "frameset",
  "object", "embed", "applet", "frame", "portal", "fencedframe", "iframe", "select", "video", "audio",
]);
/** Subtrees lighter than this are not looked into, nor cut off as a container's tail. */
const SMALL = 2048;
/** An element lighter than this never becomes a shell: its fill would cost what it saves. */
const SHELL_MIN = 320;
/** Elements whose children may wait for a fill: plain HTML containers the server keeps as they are. */
const DEFERRABLE = new Set([
  "div", "section", "article", "main", "aside", "nav", "header", "footer", "ul", "ol", "li",
  "dl", "dt", "dd", "table", "tbody", "thead", "tfoot", "tr", "td", "th", "p", "blockquote",
  "figure", "form", "fieldset", "details", "span", "pre", "h1", "h2", "h3", "h4", "h5", "h6",
]);

/**
 * @typedef {{i?: number, t: number, n?: string, x?: string, a?: Record<string, string>,
 *   c?: SnapNode[], d?: SnapNode, sh?: SnapNode, f?: number, fh?: number, ns?: string, css?: string,
 *   img?: string, ss?: string[]}} SnapNode
 */

/**
 * @typedef {Object} Split
 * @property {SnapNode} doc   the first part: skeleton + the subtrees that meet the viewport
 * @property {any[][]} fills  the fill ops, grouped per event (each a mutation's `m`), in order
 */

/**
 * Cut a serialized document for visible-first sending, or null when it is small enough to
 * go whole. Ids are made explicit (implicit ids are computed again per piece when
 * `implicit`). Modifies `doc`.
 * @param {SnapNode} doc
 * @param {{nodeOf: (id: number) => Node|null, vw: number, vh: number, implicit: boolean,
 *   oneShot?: number, fillChars?: number}} o
 * @returns {Split|null}
 */
export function visibleFirst(doc, o) {
  const weights = new Map();
  if (measure(doc, weights) < (o.oneShot || ONE_SHOT_CHARS)) return null;
  const body = bodyOf(doc);
  if (!body) return null;
  explicitIds(doc);
  const where = placer(o);
  /** @type {Array<[number, SnapNode[]]>} */
  const deferred = [];
  cutOut(body, where, weights, deferred, 0);
  if (!deferred.length) return null;
  const ops = fillOps(deferred, weights, o.fillChars || FILL_CHARS);
  const fills = group(ops, weights, o.fillChars || FILL_CHARS);
  if (o.implicit) {
    implicitIds([doc]);
    for (const m of fills) for (const op of m) implicitIds(op.c);
  }
  return { doc, fills };
}

/**
 * Note each node's weight (about its JSON length). Iterative.
 * @param {SnapNode} root @param {Map<SnapNode, number>} weights @returns {number} the root's weight
 */
function measure(root, weights) {
  /** @type {Array<[SnapNode, boolean]>} */
  const stack = [[root, false]];
  while (stack.length) {
    const [n, done] = /** @type {[SnapNode, boolean]} */ (stack.pop());
    if (done) {
      let w = own(n);
      for (const c of n.c || []) w += weights.get(c) || 0;
      if (n.d) w += weights.get(n.d) || 0;
      if (n.sh) w += weights.get(n.sh) || 0;
      weights.set(n, w);
      continue;
    }
    stack.push([n, true]);
    const next = [];
    for (const c of n.c || []) next.push(c);
    if (n.d) next.push(n.d);
    if (n.sh) next.push(n.sh);
    for (let k = next.length - 1; k >= 0; k--) stack.push([next[k], false]);
  }
  return weights.get(root) || 0;
}

/**
 * Cut what lies outside the viewport out of a container that meets it, in document order:
 * its element children wholly outside become shells (their children deferred), those that
 * meet it are looked into, and its tail (every child after the last one that meets the
 * viewport) is deferred to fills of the container itself, which stays pending.
 * @param {SnapNode} el @param {{(id: number): string, height: (id: number) => number}} where
 * @param {Map<SnapNode, number>} weights
 * @param {Array<[number, SnapNode[]]>} deferred @param {number} depth
 */
function cutOut(el, where, weights, deferred, depth) {
  const kids = el.c || [];
  let keep = kids.length;
  if (TAIL.has(/** @type {string} */ (el.n)) && !el.ns) {
    while (keep > 0) {
      const c = kids[keep - 1];
      if (c.t === 1 && where(/** @type {number} */ (c.i)) !== "out") break;
      keep--;
    }
    let tail = 0;
    for (let k = keep; k < kids.length; k++) tail += weights.get(kids[k]) || 0;
    if (tail < SMALL) keep = kids.length;
  }
  for (let k = 0; k < keep; k++) {
    const c = kids[k];
    const w = weights.get(c) || 0;
    if (c.t !== 1 || w < SHELL_MIN) continue;
    if (deferrable(c) && where(/** @type {number} */ (c.i)) === "out") {
      deferred.push([/** @type {number} */ (c.i), /** @type {SnapNode[]} */ (c.c)]);
      c.c = [];
      c.f = 1;
      // Its height, kept while it is pending: what the visitor sees stays where it is. Not
      // of a masked element: its layout says something of what it hides.
      const h = c.m ? 0 : where.height(/** @type {number} */ (c.i));
      if (h > 0) c.fh = h;
    } else if (w >= SMALL && depth < 200 && !c.ns && !OPAQUE.has(/** @type {string} */ (c.n))) {
      cutOut(c, where, weights, deferred, depth + 1);
    }
  }
  if (keep < kids.length) {
    deferred.push([/** @type {number} */ (el.i), kids.slice(keep)]);
    el.c = kids.slice(0, keep);
    el.f = 1;
  }
}

/**
 * Give every node its explicit id (the rule of implicit ids: previous + 1 in pre-order:
 * node, `c`, `d`, `sh`). Iterative.
 * @param {SnapNode} root
 */
function explicitIds(root) {
  let last = 0;
  const stack = [root];
  while (stack.length) {
    const n = /** @type {SnapNode} */ (stack.pop());
    if (n.i === undefined) n.i = last + 1;
    last = n.i;
    const next = [];
    for (const c of n.c || []) next.push(c);
    if (n.d) next.push(n.d);
    if (n.sh) next.push(n.sh);
    for (let k = next.length - 1; k >= 0; k--) stack.push(next[k]);
  }
}

/** The JSON length of a node without its children, about. @param {SnapNode} n */
function own(n) {
  let w = 28 + (n.n ? n.n.length : 0) + (n.x ? n.x.length : 0) + (n.css ? n.css.length : 0) + (n.img ? n.img.length : 0);
  if (n.a) for (const k in n.a) w += k.length + String(n.a[k]).length + 6;
  if (n.ss) for (const s of n.ss) w += s.length;
  return w;
}

/** The body element of a serialized document, if any. @param {SnapNode} doc */
function bodyOf(doc) {
  const html = (doc.c || []).find((c) => c.t === 1 && c.n === "html");
  return html ? (html.c || []).find((c) => c.t === 1 && c.n === "body") || null : null;
}

/** An element whose children may wait for a fill. @param {SnapNode} c */
function deferrable(c) {
  return !c.ns && DEFERRABLE.has(/** @type {string} */ (c.n)) && !!c.c && c.c.length > 0 && !c.d;
}

/**
 * Where an element is: "out" (wholly outside the viewport, with a margin, or not rendered),
 * "in", or "unsure" (no box of its own, e.g. `display: contents`: look at its children).
 * @param {{nodeOf: (id: number) => Node|null, vw: number, vh: number}} o
 */
function placer(o) {
  const margin = o.vh / 2;
  const where = (/** @type {number} */ id) => {
    const el = /** @type {Element|null} */ (o.nodeOf(id));
    if (!el || dom.nodeType(el) !== 1) return "unsure";
    const r = dom.rect(el);
    if (!r.width && !r.height) {
      const shown = getComputedStyle(el).display;
      return shown === "none" ? "out" : "unsure";
    }
    if (r.bottom < -margin || r.top > o.vh + margin || r.right < 0 || r.left > o.vw) return "out";
    return "in";
  };
  /** The element's height in CSS pixels, rounded (0 when unknown). */
  where.height = (/** @type {number} */ id) => {
    const el = /** @type {Element|null} */ (o.nodeOf(id));
    return el && dom.nodeType(el) === 1 ? Math.min(1e6, Math.round(dom.rect(el).height)) : 0;
  };
  return where;
}

/**
 * The fill ops of the deferred shells: their children in slices of about `budget`, a
 * child heavier than that made a shell of its own and filled right after its parent.
 * @param {Array<[number, SnapNode[]]>} deferred @param {Map<SnapNode, number>} weights @param {number} budget
 */
function fillOps(deferred, weights, budget) {
  /** @type {Array<{o: string, i: number, c: SnapNode[], more?: boolean, w: number}>} */
  const ops = [];
  const work = deferred.slice().reverse();
  while (work.length) {
    const [id, kids] = /** @type {[number, SnapNode[]]} */ (work.pop());
    /** @type {Array<[number, SnapNode[]]>} */
    const nested = [];
    /** @type {SnapNode[]} */
    let batch = [];
    let size = 0;
    for (const c of kids) {
      let w = weights.get(c) || own(c);
      if (w > budget && deferrable(c)) {
        nested.push([/** @type {number} */ (c.i), /** @type {SnapNode[]} */ (c.c)]);
        c.c = [];
        c.f = 1;
        w = own(c);
      }
      if (batch.length && size + w > budget) {
        ops.push({ o: "fill", i: id, c: batch, more: true, w: size });
        batch = [];
        size = 0;
      }
      batch.push(c);
      size += w;
    }
    ops.push({ o: "fill", i: id, c: batch, w: size });
    for (let k = nested.length - 1; k >= 0; k--) work.push(nested[k]);
  }
  return ops;
}

/**
 * Consecutive ops grouped into events of about `budget` (the `w` helper key dropped).
 * @param {Array<{o: string, i: number, c: SnapNode[], more?: boolean, w: number}>} ops
 * @param {Map<SnapNode, number>} weights @param {number} budget
 */
function group(ops, weights, budget) {
  /** @type {any[][]} */
  const out = [];
  let size = budget + 1;
  for (const op of ops) {
    if (size + op.w > budget) {
      out.push([]);
      size = 0;
    }
    size += op.w;
    const { w, ...clean } = op;
    out[out.length - 1].push(clean);
  }
  return out;
}

/**
 * Leave out every id that is the previous written id + 1 (pre-order over `roots` as one
 * sequence: node, `c`, `d`, `sh`), the first always written.
 * @param {SnapNode[]} roots
 */
function implicitIds(roots) {
  let last = -1;
  const stack = roots.slice().reverse();
  while (stack.length) {
    const n = /** @type {SnapNode} */ (stack.pop());
    const id = /** @type {number} */ (n.i);
    if (id === last + 1) delete n.i;
    last = id;
    const next = [];
    for (const c of n.c || []) next.push(c);
    if (n.d) next.push(n.d);
    if (n.sh) next.push(n.sh);
    for (let k = next.length - 1; k >= 0; k--) stack.push(next[k]);
  }
}
