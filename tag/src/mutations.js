/**
 * Mutations after the snapshot, as ops by node id (docs/protocol.md "Mutation ops"):
 * a MutationObserver over every captured root, input/change listeners for form state
 * ("prop"), and CSSOM hooks ("css", "ss"). Records are batched and turned into ops at
 * flush time from the DOM as it is then, so ops always describe the current page.
 * @module mutations
 */
import { adoptedTexts, sheetText } from "./cssom.js";
import { attributeValue, formKey, formState, serializeSubtree } from "./serialize.js";
import * as dom from "./dom.js";

/** Milliseconds mutations are gathered before they are sent as one batch. */
const BATCH_MS = 60;
/** Form fields compared per root and check (values set by script, see checkForms). */
const FORM_CHECK_MAX = 2000;
const FIELDS = "input,textarea,select";
const OBSERVE = { childList: true, attributes: true, characterData: true, subtree: true };

/**
 * @typedef {Object} MutationCapture
 * @property {(root: Document|ShadowRoot) => void} observe
 * @property {(sheet: CSSStyleSheet) => void} sheetChanged
 * @property {(root: Document|ShadowRoot) => void} adoptedChanged
 * @property {(el: Element) => void} replace  re-serialize an element (a frame navigated, a canvas...)
 * @property {(op: any) => void} push  queue an extra op (canvas images)
 * @property {(root: Document|ShadowRoot) => void} checkForms  send form values that changed without an input event
 * @property {() => void} flush
 * @property {() => void} discard  forget pending changes (a full snapshot follows)
 * @property {() => void} stop
 */

/**
 * @param {import("./serialize.js").SerializeContext} ctx
 * @param {import("./natives.js").Natives} natives
 * @param {(ops: any[]) => void} emit receives each non-empty batch of ops
 * @returns {MutationCapture}
 */
export function createMutationCapture(ctx, natives, emit) {
  const { ids, masker } = ctx;
  /** @type {MutationRecord[]} */
  let records = [];
  /** @type {Set<Element>} */
  let props = new Set();
  /** @type {Set<CSSStyleSheet>} */
  let sheets = new Set();
  /** @type {Set<Document|ShadowRoot>} */
  let adopted = new Set();
  /** @type {Set<Element>} */
  let replaced = new Set();
  /** @type {any[]} */
  let extra = [];
  /** @type {Set<Document|ShadowRoot>} */
  const roots = new Set();
  let timer = 0;
  let stopped = false;

  const observer = new natives.MutationObserver(natives.guard((/** @type {MutationRecord[]} */ list) => {
    for (let i = 0; i < list.length; i++) records.push(list[i]);
    schedule();
  }));
  const schedule = () => {
    if (!timer && !stopped) timer = natives.setTimeout(flush, BATCH_MS);
  };
  /** @param {Event} e */
  const onInput = (e) => {
    const t = /** @type {Element} */ (e.composedPath ? e.composedPath()[0] : e.target);
    if (t && dom.nodeType(t) === 1) {
      props.add(t);
      schedule();
    }
  };

  /** @param {Node|null} n */
  const maskedNode = (n) => !!n && (ctx.maskedNodes.has(/** @type {any} */ (n)) || (dom.nodeType(n) === 11 && ctx.maskedNodes.has(/** @type {any} */ (dom.hostOf(n)))));

  /** The nearest following sibling the replica has (skips comments and new nodes). */
  const before = (/** @type {Node} */ n) => {
    for (let s = dom.nextSibling(n); s; s = dom.nextSibling(s)) if (ids.isLive(s)) return ids.peek(s);
    return null;
  };
  /** @param {Node} n @param {any[]} ops */
  const add = (n, ops) => {
    const parent = dom.parentNode(n);
    if (!parent || !ids.isLive(parent) || ids.isLive(n) || n === ctx.exclude) return;
    const pn = dom.nodeType(parent) === 1 ? dom.localName(/** @type {Element} */ (parent)) : "";
    if (pn === "script" || pn === "noscript") return; // their content is never captured
    const tree = serializeSubtree(n, ctx);
    if (tree) ops.push({ o: "add", p: ids.peek(parent), b: before(n), n: tree });
  };
  /** @param {Element} el @param {any[]} ops */
  const reserialize = (el, ops) => {
    if (!ids.isLive(el)) return;
    ops.push({ o: "rm", i: ids.peek(el) });
    ids.forget(el);
    add(el, ops);
  };

  /** @param {MutationRecord[]} list @returns {any[]} */
  const opsFrom = (list) => {
    const ops = [];
    /** @type {Node[]} */
    const added = [];
    /** @type {Map<Element, Set<string>>} */
    const attrs = new Map();
    /** @type {Set<Node>} */
    const texts = new Set();
    for (const rec of list) {
      if (rec.type === "childList") {
        const parentLive = ids.isLive(rec.target);
        for (let i = 0; i < rec.removedNodes.length; i++) {
          const n = rec.removedNodes[i];
          if (parentLive && ids.isLive(n)) ops.push({ o: "rm", i: ids.peek(n) });
          ids.forget(n);
        }
        for (let i = 0; i < rec.addedNodes.length; i++) added.push(rec.addedNodes[i]);
      } else if (rec.type === "attributes") {
        const el = /** @type {Element} */ (rec.target);
        let set = attrs.get(el);
        if (!set) attrs.set(el, (set = new Set()));
        set.add(/** @type {string} */ (rec.attributeName));
      } else texts.add(rec.target);
    }
    for (const n of added) if (dom.isConnected(n)) add(n, ops);
    for (const [el, names] of attrs) attributeOps(el, names, ops);
    for (const t of texts) {
      if (!ids.isLive(t)) continue;
      const x = /** @type {Text} */ (t).data;
      const up = dom.parentNode(t);
      const css = masker.private && up && dom.nodeType(up) === 1 && dom.localName(/** @type {Element} */ (up)) === "style";
      ops.push({ o: "text", i: ids.peek(t), x: maskedNode(up) ? masker.text(x) : css ? masker.css(x) : x });
    }
    return ops;
  };

  /** @param {Element} el @param {Set<string>} names @param {any[]} ops */
  const attributeOps = (el, names, ops) => {
    if (!ids.isLive(el)) return;
    const wasMasked = ctx.maskedNodes.has(el);
    if (!wasMasked && masker.isMasked(el)) return reserialize(el, ops);
    for (const name of names) {
      if (wasMasked && !(ctx.softNodes.has(el) ? masker.keepSoft(el, name) : masker.keepAttr(name))) continue;
      const v = dom.getAttr(el, name);
      ops.push({ o: "attr", i: ids.peek(el), a: name, v: v === null ? null : attributeValue(el, name, v) });
    }
  };

  /** @param {any[]} ops */
  const propOps = (ops) => {
    for (const el of props) {
      if (!ids.isLive(el)) continue;
      const p = formState(el, ctx.maskedNodes.has(el) || masker.isMasked(el), masker);
      const key = formKey(p);
      if (!p || ctx.formSeen.get(el) === key) continue; // the replica has it already
      ctx.formSeen.set(el, key);
      ops.push({ o: "prop", i: ids.peek(el), p });
    }
  };

  /** @param {any[]} ops */
  const cssOps = (ops) => {
    for (const sheet of sheets) {
      const owner = sheet.ownerNode;
      if (owner && ids.isLive(owner)) ops.push({ o: "css", i: ids.peek(owner), css: masker.css(sheetText(sheet)) });
      else if (!owner) {
        for (const root of roots) {
          const list = dom.adoptedOf(root);
          if (list && Array.prototype.indexOf.call(list, sheet) >= 0) adopted.add(root);
        }
      }
    }
    for (const root of adopted) {
      if (ids.isLive(root)) ops.push({ o: "ss", i: ids.peek(root), ss: (adoptedTexts(root) || []).map(masker.css) });
    }
  };

  function flush() {
    if (timer) natives.clearTimeout(timer);
    timer = 0;
    if (stopped) return;
    const list = records.concat(observer.takeRecords());
    records = [];
    const ops = opsFrom(list);
    for (const el of replaced) reserialize(el, ops);
    propOps(ops);
    cssOps(ops);
    for (const op of extra) if (ids.nodeOf(op.i)) ops.push(op);
    replaced = new Set();
    props = new Set();
    sheets = new Set();
    adopted = new Set();
    extra = [];
    if (ops.length) emit(ops);
  }

  return {
    observe(root) {
      if (roots.has(root)) return;
      roots.add(root);
      observer.observe(root, OBSERVE);
      natives.listen(root, "input", onInput, true);
      natives.listen(root, "change", onInput, true);
    },
    sheetChanged(sheet) {
      ctx.dirtySheets.add(sheet);
      sheets.add(sheet);
      schedule();
    },
    adoptedChanged(root) {
      adopted.add(root);
      schedule();
    },
    replace(el) {
      replaced.add(el);
      schedule();
    },
    push(op) {
      extra.push(op);
      schedule();
    },
    checkForms(root) {
      // Scripts set .value/.checked/.selectedIndex without events (autofill helpers,
      // "copy billing address" buttons): compare each captured field with what was sent.
      // A few microseconds per field, every TICK_MS; no DOM prototype is patched.
      let fields;
      try {
        fields = dom.queryAll(root, FIELDS);
      } catch (e) {
        return;
      }
      const n = Math.min(fields.length, FORM_CHECK_MAX);
      let changed = false;
      for (let i = 0; i < n; i++) {
        const el = fields[i];
        if (!ids.isLive(el)) continue;
        if (formKey(formState(el, ctx.maskedNodes.has(el), masker)) !== ctx.formSeen.get(el)) {
          props.add(el);
          changed = true;
        }
      }
      if (changed) schedule();
    },
    flush,
    discard() {
      records = [];
      observer.takeRecords();
      replaced = new Set();
      props = new Set();
      sheets = new Set();
      adopted = new Set();
      extra = [];
    },
    stop() {
      stopped = true;
      observer.disconnect();
      if (timer) natives.clearTimeout(timer);
      for (const root of roots) {
        natives.unlisten(root, "input", onInput, true);
        natives.unlisten(root, "change", onInput, true);
      }
      roots.clear();
    },
  };
}
