/**
 * Entry point, loaded by tag/cobrowse.js. Everything is wrapped so no error of ours
 * escapes to the page; the only global is window.CoBrowse with a small API for tests
 * and QA: stop(), info(), snapshot().
 * @module main
 */
import { createNatives } from "./natives.js";
import { createHost } from "./ui/host.js";
import { createSession } from "./session.js";

export const VERSION = "0.1.0";

/**
 * Start the tag once per page.
 * @param {{site: string, server: string}} opts server: base URL ending in "/"
 */
export function start(opts) {
  /** @type {any} */
  const w = window;
  if (w.CoBrowse && w.CoBrowse.version) return w.CoBrowse;
  try {
    const ui = createHost();
    const natives = createNatives(ui.root);
    const session = createSession({ site: opts.site, server: opts.server, natives, ui });
    const api = {
      version: VERSION,
      stop() {
        try {
          session.stop();
          ui.remove();
        } catch (e) {
          console.warn("[cobrowse]", e);
        }
      },
      info: () => session.info(),
      snapshot: () => session.snapshot(),
    };
    w.CoBrowse = api;
    return api;
  } catch (err) {
    console.warn("[cobrowse] the tag could not start", err);
    return null;
  }
}
