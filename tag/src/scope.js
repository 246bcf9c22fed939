/**
 * Rules scoped to pages (issue 14): a site's --mask, --unmask and --no-control rule may start
 * with a URL path pattern ("/checkout/* #card-number"), a --pause rule is a pattern. The tag
 * applies the rules of the page it is on, and again after in-page navigation (the history
 * API), before anything of the new page is sent. Same rules as cobrowse/sanitize/scope.py.
 * @module scope
 */

/**
 * Does a glob match a path? `*` is any run of characters (slashes included), `?` one.
 * @param {string} pattern
 * @param {string} path
 */
export function pathMatches(pattern, path) {
  let re = "^";
  for (const ch of pattern) {
    if (ch === "*") re += ".*";
    else if (ch === "?") re += ".";
    else re += ch.replace(/[\\^$.|+()[\]{}]/g, "\\$&");
  }
  try {
    return new RegExp(re + "$").test(path);
  } catch (e) {
    return false;
  }
}

/**
 * The selectors of a rule list that apply on `path` (a rule without a pattern applies everywhere).
 * @param {unknown} rules
 * @param {string} path
 * @returns {string[]}
 */
export function rulesFor(rules, path) {
  const out = [];
  if (!Array.isArray(rules)) return out;
  for (const rule of rules) {
    if (typeof rule !== "string") continue;
    const m = /^\s*(\/\S*)\s+([\s\S]+)$/.exec(rule);
    if (!m) out.push(rule);
    else if (pathMatches(m[1], path)) out.push(m[2]);
  }
  return out;
}

/**
 * Does a page pause by itself (a --pause pattern matches its path)?
 * @param {unknown} patterns
 * @param {string} path
 */
export function pausesOn(patterns, path) {
  return Array.isArray(patterns) && patterns.some((p) => typeof p === "string" && pathMatches(p.trim(), path));
}

/**
 * Call `onChange` synchronously whenever the page's path changes through the history API
 * (pushState, replaceState, back/forward), before the page's own code goes on.
 * @param {import("./natives.js").Natives} natives
 * @param {() => void} onChange
 * @returns {() => void} stop
 */
export function watchPath(natives, onChange) {
  let path = location.pathname;
  const check = () => {
    if (location.pathname === path) return;
    path = location.pathname;
    natives.guard(onChange)();
  };
  const h = /** @type {any} */ (history);
  const originals = { pushState: h.pushState, replaceState: h.replaceState };
  for (const name of /** @type {const} */ (["pushState", "replaceState"])) {
    const original = originals[name];
    if (typeof original !== "function") continue;
    h[name] = function (/** @type {any[]} */ ...args) {
      const result = original.apply(this, args);
      check();
      return result;
    };
  }
  natives.listen(window, "popstate", check);
  natives.listen(window, "hashchange", check);
  return () => {
    h.pushState = originals.pushState;
    h.replaceState = originals.replaceState;
    natives.unlisten(window, "popstate", check);
    natives.unlisten(window, "hashchange", check);
  };
}
