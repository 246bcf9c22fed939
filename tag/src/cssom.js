/**
 * The CSS object model: sheet text for rules that live only in the CSSOM (CSS-in-JS
 * `insertRule`, constructed sheets with `replaceSync`, `adoptedStyleSheets`), and the
 * hooks that tell capture when such rules change after the snapshot.
 * @module cssom
 */
import { adoptedOf } from "./dom.js";

/**
 * The full text of a sheet from its rules; "" when unreadable (cross-origin).
 * @param {CSSStyleSheet} sheet
 * @returns {string}
 */
export function sheetText(sheet) {
  try {
    const rules = sheet.cssRules;
    let out = "";
    for (let i = 0; i < rules.length; i++) out += rules[i].cssText + "\n";
    return out;
  } catch (e) {
    return "";
  }
}

/**
 * Texts of a document's or shadow root's adopted sheets.
 * @param {Document|ShadowRoot} root
 * @returns {string[]|null} null when there are none
 */
export function adoptedTexts(root) {
  const list = adoptedOf(root);
  if (!list || !list.length) return null;
  const out = [];
  for (let i = 0; i < list.length; i++) out.push(sheetText(list[i]));
  return out;
}

/**
 * Does a <style> element's sheet hold rules its text does not (insertRule before we
 * loaded)? Each rule in the markup has at least one "}", so more rules than braces means
 * the CSSOM grew. Cheap enough to run on every style element.
 * @param {CSSStyleSheet|null} sheet
 * @param {string} text
 */
export function cssomAhead(sheet, text) {
  if (!sheet) return false;
  let rules = 0;
  try {
    rules = sheet.cssRules.length;
  } catch (e) {
    return false;
  }
  if (!rules) return false;
  let braces = 0;
  for (let i = text.indexOf("}"); i >= 0 && braces < rules; i = text.indexOf("}", i + 1)) braces++;
  return rules > braces;
}

/**
 * Wrap the CSSOM mutators so capture hears about changes. The wrappers call the original
 * first and never throw anything of ours. Returns a function that restores them.
 * @param {(sheet: CSSStyleSheet) => void} onSheet a sheet's rules changed
 * @param {(root: Document|ShadowRoot) => void} onAdopted a root's adoptedStyleSheets changed
 * @returns {() => void}
 */
export function watchCssom(onSheet, onAdopted) {
  /** @type {Array<() => void>} */
  const undo = [];
  const proto = CSSStyleSheet.prototype;
  for (const name of ["insertRule", "deleteRule", "replaceSync", "replace", "addRule", "removeRule"]) {
    const orig = /** @type {any} */ (proto)[name];
    if (typeof orig !== "function") continue;
    const wrapped = function (/** @type {any[]} */ ...args) {
      const out = orig.apply(this, args);
      try {
        if (out && typeof out.then === "function") out.then(() => onSheet(this), () => {});
        else onSheet(this);
      } catch (e) {
        /* never break the page's CSS */
      }
      return out;
    };
    /** @type {any} */ (proto)[name] = wrapped;
    undo.push(() => {
      if (/** @type {any} */ (proto)[name] === wrapped) /** @type {any} */ (proto)[name] = orig;
    });
  }
  for (const Ctor of [Document, ShadowRoot]) {
    const desc = Object.getOwnPropertyDescriptor(Ctor.prototype, "adoptedStyleSheets");
    if (!desc || !desc.set || !desc.configurable) continue;
    const set = desc.set;
    Object.defineProperty(Ctor.prototype, "adoptedStyleSheets", {
      ...desc,
      set(v) {
        set.call(this, v);
        try {
          onAdopted(this);
        } catch (e) {
          /* ignore */
        }
      },
    });
    undo.push(() => Object.defineProperty(Ctor.prototype, "adoptedStyleSheets", desc));
  }
  return () => undo.forEach((f) => f());
}
