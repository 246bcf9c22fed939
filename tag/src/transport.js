/**
 * The transport client (DESIGN.md "Protocol principles", docs/protocol.md): hello, a send
 * queue with one send in flight and sequence numbers (a retry reuses its seq), retries with
 * backoff and jitter (1 s -> 30 s), a hard timeout of hold + 10 s per request, a long-poll
 * loop acknowledged by cursors (ids at or below a cursor are dropped), gzip of bodies over
 * 1 KB where CompressionStream exists, and resumption after the network drops.
 * @module transport
 */
import { title } from "./dom.js";

const MAX_EVENTS = 500;
const GZIP_OVER = 1024;
const FIRST_DELAY = 1000;
const MAX_DELAY = 30000;
/** sendBeacon refuses bodies over 64 KiB: keep clear of it. */
const BEACON_MAX = 60000;

/**
 * Exponential backoff with jitter: attempt 1 waits 0.5-1 s, then doubling, capped at 30 s.
 * @param {number} attempt 1-based
 * @param {() => number} random
 */
export function backoff(attempt, random) {
  const base = Math.min(MAX_DELAY, FIRST_DELAY * 2 ** Math.max(0, attempt - 1));
  return Math.round(base / 2 + (random() * base) / 2);
}

/**
 * gzip a request body with the browser's CompressionStream (sent with `z=1`).
 * @param {string} text
 * @returns {Promise<Uint8Array>}
 */
export async function gzipText(text) {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/**
 * @typedef {Object} TransportOptions
 * @property {string} server  base URL ending in "/"
 * @property {string} site
 * @property {import("./natives.js").Natives} natives
 * @property {import("./storage.js").TabStore} store
 * @property {(events: any[]) => void} onEvents   new events from the server, in order
 * @property {(state: any) => void} onState       STATE from hello and every poll
 * @property {(online: boolean) => void} onStatus  reachable or reconnecting
 * @property {(hello: any) => void} onHello       after each successful hello
 * @property {() => string} [title]                 the page title hello reports (default: document.title)
 */

/**
 * @param {TransportOptions} o
 */
export function createTransport(o) {
  const { natives, store } = o;
  let running = true;
  let token = /** @type {string|undefined} */ (store.get("token"));
  let seq = 0;
  let hold = 25;
  /** @type {Record<string, number>} */
  let cursors = store.get("cursors") || { inbox: 0 };
  /** @type {any[]} */
  let queue = [];
  /** @type {{seq: number, events: any[]}|null} */
  let inflight = null;
  let ready = false;
  let sending = false;
  let sendFailures = 0;
  /** @type {Set<() => void>} */
  const sleepers = new Set();
  /** @type {Set<AbortController>} requests under way, aborted by stop() */
  const live = new Set();
  /** @type {AbortController|null} the current poll's */
  let polling = null;

  /** Sleep that `wake()` (network back online) cuts short. @param {number} ms */
  const sleep = (ms) =>
    new Promise((resolve) => {
      const done = () => {
        sleepers.delete(done);
        natives.clearTimeout(t);
        resolve(undefined);
      };
      const t = natives.setTimeout(done, ms);
      sleepers.add(done);
    });
  const wake = () => Array.from(sleepers).forEach((f) => f());

  /**
   * One POST with a hard timeout. Resolves {status, json}; rejects on network failure.
   * @param {string} path @param {any} body @param {number} timeoutMs
   * @param {(ctrl: AbortController) => void} [onCtrl] receives the request's controller
   */
  const post = async (path, body, timeoutMs, onCtrl) => {
    const text = natives.stringify(body);
    /** @type {string|Uint8Array} */
    let data = text;
    let query = "?r=" + natives.random().toString(36).slice(2);
    if (text.length > GZIP_OVER && typeof CompressionStream === "function") {
      data = await gzipText(text);
      query += "&z=1";
    }
    const ctrl = new natives.AbortController();
    const timer = natives.setTimeout(() => ctrl.abort(), timeoutMs);
    live.add(ctrl);
    if (onCtrl) onCtrl(ctrl);
    try {
      const res = await natives.fetch(o.server + path + query, {
        method: "POST",
        body: data,
        headers: { "Content-Type": "text/plain;charset=UTF-8" },
        mode: "cors",
        credentials: "omit",
        cache: "no-store",
        signal: ctrl.signal,
      });
      const raw = await res.text();
      let json = null;
      try {
        json = natives.parse(raw);
      } catch (e) {
        json = null;
      }
      return { status: res.status, json };
    } finally {
      natives.clearTimeout(timer);
      live.delete(ctrl);
    }
  };

  /** Hello until it works (or the server says this site/origin is not allowed). */
  const hello = async () => {
    ready = false;
    for (let attempt = 1; running; attempt++) {
      try {
        const r = await post("api/v1/visitor/hello", { site: o.site, token, url: location.href, title: o.title ? o.title() : title() }, 20000);
        if (r.status === 200 && r.json && r.json.ok) {
          const h = r.json;
          if (h.token !== token) {
            cursors = { inbox: 0 };
            store.set("cursors", cursors);
          }
          token = h.token;
          store.set("token", token);
          seq = h.seq || 0;
          if (h.config && h.config.hold) hold = h.config.hold;
          ready = true;
          o.onStatus(true);
          o.onHello(h);
          o.onState(h.state);
          natives.setTimeout(() => pump().catch(() => {}), 0);
          return true;
        }
        if (r.status === 403 || r.status === 404 || r.status === 400) {
          console.warn("[cobrowse] the server refused this page:", r.json && r.json.message);
          running = false;
          return false;
        }
        if (r.status === 401) token = undefined;
      } catch (e) {
        /* network down: retry below */
      }
      o.onStatus(false);
      await sleep(backoff(attempt, natives.random));
    }
    return false;
  };

  /** Apply a poll answer: drop what we have seen, move the cursors, deliver the rest. @param {any} body */
  const received = (body) => {
    const fresh = [];
    for (const ev of body.events || []) {
      const s = ev.s;
      if (typeof ev.id !== "number" || ev.id <= (cursors[s] || 0)) continue;
      cursors[s] = ev.id;
      fresh.push(ev);
    }
    for (const [s, id] of Object.entries(body.cursors || {})) if (typeof id === "number" && id > (cursors[s] || 0)) cursors[s] = id;
    store.set("cursors", cursors);
    if (body.state !== undefined) o.onState(body.state);
    if (fresh.length) o.onEvents(fresh);
  };

  const pollLoop = async () => {
    let failures = 0;
    while (running) {
      if (!ready && !(await hello())) return;
      try {
        const r = await post("api/v1/poll", { token, cursors, hold }, (hold + 10) * 1000, (c) => (polling = c));
        if (!running) return;
        if (r.status === 200 && r.json && r.json.ok) {
          failures = 0;
          o.onStatus(true);
          received(r.json);
          if (r.json.released) await sleep(1000);
          continue;
        }
        if (r.status === 401) {
          token = undefined;
          ready = false;
          continue;
        }
        if (r.status === 429) {
          await sleep(1000 * ((r.json && r.json.retry_after) || 5));
          continue;
        }
        if (r.status >= 400 && r.status < 500) {
          cursors = { inbox: cursors.inbox || 0 }; // e.g. a stale session stream
          store.set("cursors", cursors);
        }
      } catch (e) {
        if (!running) return;
        if (!ready) continue; // aborted by resync(): say hello again at once
      }
      failures++;
      o.onStatus(false);
      await sleep(backoff(failures, natives.random));
    }
  };

  /** Take the next batch and send it until the server has answered it. */
  const pump = async () => {
    if (sending || !ready || !running) return;
    sending = true;
    try {
      while (running && ready && (inflight || queue.length)) {
        if (!inflight) inflight = { seq: seq + 1, events: queue.splice(0, MAX_EVENTS) };
        let r = null;
        try {
          r = await post("api/v1/send", { token, seq: inflight.seq, events: inflight.events }, (hold + 10) * 1000);
        } catch (e) {
          r = null;
        }
        if (!running) return;
        if (r && r.status >= 200 && r.status < 300) {
          seq = Math.max(seq, inflight.seq); // a beacon may have gone after it
          inflight = null;
          sendFailures = 0;
          o.onStatus(true);
        } else if (r && r.status === 409 && r.json && r.json.error === "seq" && typeof r.json.expected === "number") {
          seq = r.json.expected - 1;
          inflight.seq = r.json.expected;
        } else if (r && r.status === 401) {
          ready = false; // the poll loop says hello again, then pumps again
          queue = inflight.events.concat(queue);
          inflight = null;
          return;
        } else if (r && r.status >= 400 && r.status < 500 && r.status !== 429 && r.status !== 408) {
          refused(r);
        } else {
          sendFailures++;
          const wait = r && r.status === 429 ? 1000 * ((r.json && r.json.retry_after) || 5) : backoff(sendFailures, natives.random);
          if (!r) o.onStatus(false);
          await sleep(wait);
        }
      }
    } finally {
      sending = false;
    }
  };

  /** A refused batch still consumes its seq; resend the others when one event was at fault. @param {any} r */
  const refused = (r) => {
    const batch = /** @type {{seq: number, events: any[]}} */ (inflight);
    seq = batch.seq;
    inflight = null;
    const index = r.json && typeof r.json.index === "number" ? r.json.index : -1;
    const bad = batch.events[index];
    console.warn("[cobrowse] the server refused", bad ? bad.k : "a batch", "-", r.json && r.json.message);
    if (index >= 0 && batch.events.length > 1) {
      batch.events.splice(index, 1);
      queue = batch.events.concat(queue);
    }
  };

  return {
    /** Say hello, then poll forever (until stop). */
    start() {
      pollLoop().catch((e) => console.warn("[cobrowse] poll loop ended", e));
    },
    /** Queue an event for the server. @param {any} ev */
    send(ev) {
      queue.push(ev);
      natives.setTimeout(() => pump().catch((e) => console.warn("[cobrowse] send failed", e)), 0);
    },
    /** Drop queued events for which `drop(ev)` is true (e.g. capture after the session ended). @param {(ev: any) => boolean} drop */
    prune(drop) {
      queue = queue.filter((ev) => !drop(ev));
    },
    /** Number of queued events (not yet sent). */
    pending: () => queue.length + (inflight ? inflight.events.length : 0),
    /** Poll also this stream (a session's), or none (null). @param {string|null} name */
    follow(name) {
      for (const k of Object.keys(cursors)) if (k !== "inbox" && k !== name) delete cursors[k];
      if (name && !(name in cursors)) cursors[name] = 0;
      store.set("cursors", cursors);
    },
    /** The network is back: retry now instead of waiting out the backoff. */
    wake() {
      wake();
      pump().catch(() => {});
    },
    /**
     * Say hello again now (cutting the parked poll short): the server's view of this
     * visitor changed behind our back, e.g. a copy of this tab sent with our token and
     * sequence numbers. Hello gives the current seq back, and a fresh snapshot follows.
     */
    resync() {
      if (!ready) return;
      ready = false;
      if (polling) polling.abort();
      wake();
    },
    /**
     * Best-effort last event when the page goes away (sendBeacon), with what is still queued.
     * A send is often in flight then (the click on the link that leaves): it left before
     * this beacon, so the beacon takes the seq after it.
     * @param {any} ev
     */
    beacon(ev) {
      if (!ready || !token || !navigator.sendBeacon) return;
      const next = (inflight ? inflight.seq : seq) + 1;
      const blob = (/** @type {any[]} */ events) =>
        new Blob([natives.stringify({ token, seq: next, events })], { type: "text/plain;charset=UTF-8" });
      let events = queue.slice(0, MAX_EVENTS - 1).concat([ev]);
      let body = blob(events);
      if (body.size > BEACON_MAX) body = blob((events = [ev])); // the rest is lost with the page anyway
      try {
        if (navigator.sendBeacon(o.server + "api/v1/send?r=" + natives.random().toString(36).slice(2), body)) {
          queue = queue.slice(events.length - 1);
          seq = next; // back from the bfcache, the next send follows the beacon
        }
      } catch (e) {
        /* best effort */
      }
    },
    /**
     * One request of this visitor outside the send sequence (a support code, the visitor
     * reference: issue 13), once hello has given us a token. Resolves the answer; rejects
     * with the server's reason.
     * @param {string} path @param {any} [body]
     */
    async request(path, body) {
      for (let i = 0; running && !ready && i < 100; i++) await sleep(200);
      if (!ready) throw new Error("not connected");
      const r = await post(path, { ...(body || {}), token }, 20000);
      if (r.status !== 200 || !r.json || !r.json.ok) throw new Error((r.json && r.json.message) || "HTTP " + r.status);
      return r.json;
    },
    stop() {
      running = false;
      wake();
      for (const c of live) c.abort();
    },
  };
}
