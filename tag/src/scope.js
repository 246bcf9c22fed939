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

/** The one history hook of this page (installed once, never removed: see watchPath). */
let hooked = /** @type {{listeners: Set<() => void>}|null} */ (null);

/**
 * Call `onChange` synchronously whenever the page's path changes through the history API
 * (pushState, replaceState, back/forward), before the page's own code goes on. The wrappers
 * of pushState/replaceState stay once installed (a library may have wrapped ours since:
 * putting the originals back would drop its wrapper); stopping only unsubscribes.
 * @param {import("./natives.js").Natives} natives
 * @param {() => void} onChange
 * @returns {() => void} stop
 */
export function watchPath(natives, onChange) {
  if (!hooked) {
    const state = { listeners: new Set(), path: location.pathname };
    const check = () => {
      if (location.pathname === state.path) return;
      state.path = location.pathname;
      for (const fn of Array.from(state.listeners)) natives.guard(fn)();
    };
    const h = /** @type {any} */ (history);
    for (const name of ["pushState", "replaceState"]) {
      const original = h[name];
      if (typeof original !== "function") continue;
      h[name] = function (/** @type {any[]} */ ...args) {
        const result = original.apply(this, args);
        check();
        return result;
      };
    }
    natives.listen(window, "popstate", check);
    natives.listen(window, "hashchange", check);
    hooked = state;
  }
  const listeners = hooked.listeners;
  listeners.add(onChange);
  return () => {
    listeners.delete(onChange);
  };
}
