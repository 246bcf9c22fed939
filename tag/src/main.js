/**
 * Entry point, loaded by tag/cobrowse.js. Everything is wrapped so no error of ours
 * escapes to the page; the only global is window.CoBrowse with a small API for tests
 * and QA: stop(), info(), snapshot().
 * @module main
 */
import { createNatives } from "./natives.js";
import { createHost } from "./ui/host.js";
import { createSession } from "./session.js";
import { createTabStore } from "./storage.js";
import { createTabGuard } from "./tabs.js";

export const VERSION = "0.1.0";

/**
 * Start the tag once per page.
 * @param {{site: string, server: string, maxBody?: number}} opts server: base URL ending in "/";
 *   maxBody: request body cap on the wire (the script's `data-max-body`, bytes)
 */
export function start(opts) {
  /** @type {any} */
  const w = window;
  const own = Object.prototype.hasOwnProperty.call(window, "CoBrowse") ? w.CoBrowse : null;
  if (own && own.version) return own;
  if (window.top !== window) return null; // frames: the top page captures them
  try {
    const ui = createHost();
    const natives = createNatives(ui.root);
    const store = createTabStore(opts.site, natives);
    // A copy found late (the other tab answered after the wait): start again, as a new visitor.
    const restart = () => {
      api.stop();
      store.clear();
      w.CoBrowse = undefined;
      start(opts);
    };
    const tabs = createTabGuard(opts.site, natives, () => store.get("token"), natives.guard(restart),
      natives.guard(() => session && session.resync()));
    /** @type {ReturnType<typeof createSession>|null} */
    let session = null;
    let stopped = false;
    const api = {
      version: VERSION,
      stop() {
        try {
          stopped = true;
          if (session) session.stop();
          tabs.stop();
          ui.remove();
        } catch (e) {
          console.warn("[cobrowse]", e);
        }
      },
      // While a stored token is checked (see tabs.js) there is no session object yet.
      info: () => (session ? session.info() : { state: null, session: null, config: null, pending: 0 }),
      snapshot: () => session && session.snapshot(),
    };
    w.CoBrowse = api;
    // A duplicated tab carries a copy of this tab's sessionStorage: it must start as a
    // new visitor, never join the other tab's session.
    tabs.check(store.get("token")).then(natives.guard((/** @type {boolean} */ duplicate) => {
      if (stopped) return;
      if (duplicate) store.clear();
      session = createSession({ site: opts.site, server: opts.server, maxBody: opts.maxBody, natives, ui, store });
    }));
    return api;
  } catch (err) {
    console.warn("[cobrowse] the tag could not start", err);
    return null;
  }
}
