/**
 * The transport client (DESIGN.md "Protocol principles", docs/protocol.md): hello, a send
 * queue with one send in flight and sequence numbers (a retry reuses its seq), retries with
 * backoff and jitter (1 s -> 30 s), a long-poll loop acknowledged by cursors (ids at or below
 * a cursor are dropped), gzip of bodies over 1 KB where CompressionStream exists, and
 * resumption after the network drops.
 *
 * Hostile networks (docs/protocol.md "Parts and lanes"): no request body is over the cap
 * (256 KB on the wire by default): a bigger send goes as parts, and between two parts the
 * live events (pointer, scroll, click, selection, chat) go as ordinary small sends, while
 * everything else waits for the big send, in order. A request that fails without a status
 * we can read (a proxy's 413 without CORS looks like a network failure) is split further,
 * down to a floor. A send's timeout grows with its size and the measured uplink. The poll
 * runs only while the visitor has something to receive, and during a session an outage is
 * probed every 2-3 s instead of backing off to 30 s.
 * @module transport
 */
import { title } from "./dom.js";

const MAX_EVENTS = 500;
const GZIP_OVER = 1024;
const FIRST_DELAY = 1000;
const MAX_DELAY = 30000;
/** Default cap of one request body on the wire (nginx allows 1 MB, many WAFs 128 KB-1 MB). */
export const BODY_CAP = 256 * 1024;
/** Splitting a request that fails unreadably stops here: below it, the failure is the network's. */
export const BODY_FLOOR = 8 * 1024;
/** Kinds that overtake a big send: they only describe the moment, and lose nothing by going first. */
const LIVE = new Set(["pointer", "scroll", "click", "selection", "chat"]);
/** During a session an outage is probed this often (plus up to PROBE_JITTER), not backed off. */
const PROBE_MS = 2000;
const PROBE_JITTER = 1000;
/** A probe is a poll that is not parked, with a short timeout. */
const PROBE_TIMEOUT = 3000;
/** A part carries about this much upload time at the measured uplink, so that live events
 * wait at most that long behind one (between the floor and the cap). */
const PART_MS = 500;
/** Unreadable failures in a row before the tag assumes the configuration changed and says hello again. */
const UNREADABLE_LIMIT = 3;
/** Probes of one outage before falling back to the long backoff (about a minute). */
const PROBES_MAX = 20;
/** A part that still fails unreadably at the floor this often: the send is given up. */
const FLOOR_TRIES = 4;
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
 * Cut a text into slices of at most `size` UTF-16 units, never between the two halves of a
 * surrogate pair (the server joins the slices as text).
 * @param {string} text @param {number} size
 * @returns {string[]}
 */
export function cutText(text, size) {
  const out = [];
  for (let at = 0; at < text.length; ) {
    let end = Math.min(text.length, at + Math.max(2, size));
    const c = text.charCodeAt(end - 1);
    if (end < text.length && c >= 0xd800 && c <= 0xdbff) end--;
    out.push(text.slice(at, end));
    at = end;
  }
  return out;
}

/**
 * A request's timeout: ten seconds for the round trip plus three times the upload time of
 * its bytes at the measured uplink (never the poll's fixed hold + 10 s).
 * @param {number} bytes @param {number} uplink bytes per millisecond
 */
export function sendTimeout(bytes, uplink) {
  return 10000 + Math.round((3 * bytes) / Math.max(0.5, uplink));
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
 * @property {() => boolean} [wanted]   is there anything to receive (a conversation, an
 *   invitation, a session, the chat open)? The poll runs only then.
 * @property {() => boolean} [inSession] a co-browse session is active: probe outages quickly
 * @property {(events: any[]) => void} [onGiveUp] a send that no split got through (too large or blocked)
 * @property {() => void} [onPieceRefused] the server refused a piece of a visible-first snapshot
 * @property {number} [cap] request body cap on the wire, bytes
 * @property {(blocked: boolean) => void} [onBlocked] answers cannot be read (configuration changed?), or can again
 * @property {() => string} [title]                 the page title hello reports (default: document.title)
 */

/**
 * @param {TransportOptions} o
 */
export function createTransport(o) {
  const { natives, store } = o;
  const wanted = o.wanted || (() => true);
  const inSession = o.inSession || (() => false);
  let running = true;
  let token = /** @type {string|undefined} */ (store.get("token"));
  let seq = 0;
  let hold = 25;
  /** Current body cap: lowered when requests fail unreadably ("too large or blocked"). */
  let cap = Math.max(BODY_FLOOR, o.cap || BODY_CAP);
  /** Measured uplink in bytes per millisecond (starts at 256 kbit/s, a slow mobile uplink). */
  let uplink = 32;
  /** @type {Record<string, number>} */
  let cursors = store.get("cursors") || { inbox: 0 };
  /** @type {any[]} */
  let queue = [];
  /** Queued events that go in a send of their own (visible-first pieces). @type {WeakSet<object>} */
  const alone = new WeakSet();
  /**
   * The request being made until the server has answered it: a send of events (`seq` fixed
   * at its first attempt, so a retry reuses it), a part of the upload, or its last part.
   * @type {{kind: "send"|"part"|"commit", seq?: number, events?: any[], index?: number}|null}
   */
  let inflight = null;
  /**
   * The big send going as parts: the JSON text of its events cut in slices; `next` is the
   * first slice not yet acknowledged. Its seq is taken by its last part.
   * @type {{id: string, events: any[], slices: string[], next: number, seq?: number, floorFails: number, ratio: number, size: number}|null}
   */
  let upload = null;
  let ready = false;
  let sending = false;
  let sendFailures = 0;
  let unreadable = 0;
  /** Answers could not be read several times in a row: hello retries slowly (long, capped). */
  let blocked = false;
  /** An outage during a session: the poll probes instead of parking. */
  let probing = 0;
  /** @type {Set<() => void>} */
  const sleepers = new Set();
  /** @type {Set<AbortController>} requests under way, aborted by stop() */
  const live = new Set();
  /** @type {AbortController|null} the current poll's */
  let polling = null;
  /** @type {AbortController|null} the current send's, aborted when a probe finds the network back */
  let sendCtrl = null;
  /** The send in flight was cut short because the network is back: retry it at once. */
  let retryNow = false;
  /** @type {(() => void)|null} resolves the idle wait when there is something to receive */
  let idleWake = null;

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
   * How long to wait after the n-th failure in a row: during a session a short probe
   * interval with jitter for about a minute, else (and after that) the backoff.
   * @param {number} attempt
   */
  const retryDelay = (attempt) =>
    inSession() && attempt <= PROBES_MAX ? PROBE_MS + Math.round(natives.random() * PROBE_JITTER) : backoff(attempt, natives.random);

  /**
   * The bytes of a body as they go on the wire (gzipped when that helps and is possible).
   * @param {any} body @returns {Promise<{data: string|Uint8Array, query: string, size: number}>}
   */
  const encode = async (body) => {
    const text = natives.stringify(body);
    let query = "?r=" + natives.random().toString(36).slice(2);
    if (text.length > GZIP_OVER && typeof CompressionStream === "function") {
      const data = await gzipText(text);
      return { data, query: query + "&z=1", size: data.length };
    }
    return { data: text, query, size: text.length * 3 };
  };

  /**
   * One POST with a hard timeout. Resolves {status, json}; rejects on network failure
   * (with `timedOut` set when our own timeout cut it).
   * @param {string} path @param {any} body @param {number} timeoutMs
   * @param {(ctrl: AbortController) => void} [onCtrl] receives the request's controller
   * @param {{data: string|Uint8Array, query: string, size: number}} [enc] already encoded
   */
  const post = async (path, body, timeoutMs, onCtrl, enc) => {
    const { data, query } = enc || (await encode(body));
    const ctrl = new natives.AbortController();
    let timedOut = false;
    const timer = natives.setTimeout(() => {
      timedOut = true;
      ctrl.abort();
    }, timeoutMs);
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
    } catch (e) {
      throw { timedOut, error: e };
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
          unreadable = 0;
          if (blocked && o.onBlocked) o.onBlocked(false);
          blocked = false;
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
        /* network down, or an answer we cannot read: retry below */
      }
      o.onStatus(false);
      // Blocked: the answers are unreadable (a 401/404 without CORS after the server lost
      // this site): a long, capped retry, not a loop on the same request.
      await sleep(blocked ? Math.max(backoff(attempt + 3, natives.random), 5000) : retryDelay(attempt));
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

  /** Wait until there is something to receive (an idle tag holds no poll). */
  const idle = () =>
    new Promise((resolve) => {
      idleWake = () => {
        idleWake = null;
        resolve(undefined);
      };
    });

  /** A probe answered after an outage: cut short what waits for the network. */
  const recovered = () => {
    probing = 0;
    wake();
    if (sendCtrl) {
      retryNow = true; // started into the black hole: retry it now, same seq
      sendCtrl.abort();
    }
    pump().catch(() => {});
  };

  const pollLoop = async () => {
    let failures = 0;
    while (running) {
      if (!ready && !(await hello())) return;
      if (!wanted()) {
        await idle();
        continue;
      }
      const probe = probing > 0;
      try {
        const body = { token, cursors, hold: probe ? 0 : hold };
        const r = await post("api/v1/poll", body, probe ? PROBE_TIMEOUT : (hold + 10) * 1000, (c) => (polling = c));
        if (!running) return;
        unreadable = 0;
        lastPollOk = natives.now();
        if (r.status === 200 && r.json && r.json.ok) {
          failures = 0;
          o.onStatus(true);
          if (probe) recovered();
          received(r.json);
          if (r.json.released) await sleep(1000);
          continue;
        }
        if (r.status === 401) {
          token = undefined;
          ready = false;
          continue;
        }
        if (r.status === 429 || r.status === 503) {
          await sleep(1000 * ((r.json && r.json.retry_after) || (r.status === 429 ? 5 : 1)));
          continue;
        }
        if (r.status >= 400 && r.status < 500) {
          cursors = { inbox: cursors.inbox || 0 }; // e.g. a stale session stream
          store.set("cursors", cursors);
        }
      } catch (e) {
        if (!running) return;
        if (!ready) continue; // aborted by resync(): say hello again at once
        if (!(/** @type {any} */ (e).timedOut) && navigator.onLine !== false && !inSession() && ++unreadable >= UNREADABLE_LIMIT) {
          // Answers we cannot read, again and again: the server may have lost this site's
          // configuration (a 401/404 without CORS). Say hello again rather than loop.
          unreadable = 0;
          ready = false;
          blocked = true;
          if (o.onBlocked) o.onBlocked(true);
        }
      }
      failures++;
      if (inSession()) probing++;
      o.onStatus(false);
      await sleep(retryDelay(failures));
    }
  };

  /**
   * Events of the next send: up to MAX_EVENTS, but an event queued `alone` (a piece of a
   * visible-first snapshot) goes in a send of its own, so it is applied before the next
   * piece is uploaded.
   */
  const batchLength = () => {
    if (alone.has(queue[0])) return 1;
    let n = 0;
    while (n < queue.length && n < MAX_EVENTS && !alone.has(queue[n])) n++;
    return n;
  };

  /** Take the live events out of the queue (they overtake the upload). */
  const takeLive = () => {
    const out = [];
    const rest = [];
    for (const ev of queue) (LIVE.has(ev.k) && out.length < MAX_EVENTS ? out : rest).push(ev);
    queue = rest;
    return out;
  };

  /**
   * Turn a batch into an upload: the JSON text of its events cut so that each part's body
   * fits the cap once gzipped (estimated from the whole's ratio; a part still over is cut again).
   * @param {any[]} events @param {number} wireSize @param {number} [fixedSeq]
   */
  const startUpload = (events, wireSize, fixedSeq) => {
    const text = natives.stringify(events);
    const ratio = Math.max(1, text.length / Math.max(1, wireSize));
    const size = sliceSize(ratio);
    upload = { id: natives.random().toString(36).slice(2, 12) || "u", events, slices: cutText(text, size), next: 0, seq: fixedSeq, floorFails: 0, ratio, size };
  };

  /** Bytes on the wire of one part: about PART_MS of upload, between the floor and the cap. */
  const partBytes = () => Math.max(BODY_FLOOR, Math.min(cap, uplink * PART_MS));
  /** Characters of JSON text per slice for a text that gzips `ratio` to 1 (with a margin). @param {number} ratio */
  const sliceSize = (ratio) => Math.max(1024, Math.floor(partBytes() * ratio * 0.7));

  /** The uplink turned out much faster or slower than assumed: re-cut the slices not yet sent. */
  const reslice = () => {
    const u = /** @type {NonNullable<typeof upload>} */ (upload);
    const want = sliceSize(u.ratio);
    if (want < u.size * 2 && want > u.size / 2) return;
    const rest = u.slices.slice(u.next).join("");
    u.slices = u.slices.slice(0, u.next).concat(cutText(rest, want));
    u.size = want;
  };

  /** The next request: live events between parts, the next part, the last part, or a send. */
  const nextRequest = async () => {
    if (upload) {
      if (upload.next < upload.slices.length - 1) {
        // Live events overtake the parts, unless the upload already holds its seq (a send
        // split after it failed unreadably: its seq must come first).
        const events = upload.seq ? [] : takeLive();
        if (events.length) return { kind: /** @type {const} */ ("send"), events };
        reslice();
        if (upload.next < upload.slices.length - 1) return { kind: /** @type {const} */ ("part"), index: upload.next };
      }
      return { kind: /** @type {const} */ ("commit"), seq: upload.seq };
    }
    // Live events overtake the pieces of a visible-first snapshot too (not their order).
    const live = alone.has(queue[0]) ? takeLive() : [];
    if (live.length) return { kind: /** @type {const} */ ("send"), events: live };
    const events = queue.splice(0, batchLength());
    const enc = await encode({ token, seq: seq + 1, events });
    // Over the cap, or more than about two parts' upload time at the measured uplink (live
    // events would wait behind it): a big send, in parts.
    if (enc.size <= Math.min(cap, 2 * partBytes())) return { kind: /** @type {const} */ ("send"), events };
    startUpload(events, enc.size);
    return nextRequest();
  };

  /** The body of the current request. @param {NonNullable<typeof inflight>} req */
  const bodyOf = (req) => {
    if (req.kind === "send") return { token, seq: req.seq, events: req.events };
    const u = /** @type {NonNullable<typeof upload>} */ (upload);
    const index = req.kind === "part" ? /** @type {number} */ (req.index) : u.slices.length - 1;
    const body = { token, upload: u.id, part: [index, u.slices.length], data: u.slices[index] };
    return req.kind === "commit" ? { ...body, seq: req.seq } : body;
  };

  /**
   * The request is too large for some proxy (or would be): cut it in two and lower the cap.
   * Returns false at the floor (nothing left to cut).
   * @param {NonNullable<typeof inflight>} req @param {number} size bytes on the wire
   */
  const splitFurther = (req, size) => {
    if (size <= BODY_FLOOR) return false;
    cap = Math.max(BODY_FLOOR, Math.min(cap, Math.floor(size / 2)));
    if (req.kind === "send") {
      if (upload) return false; // a live send between parts: never replace the upload
      startUpload(/** @type {any[]} */ (req.events), size, req.seq);
      return true;
    }
    const u = /** @type {NonNullable<typeof upload>} */ (upload);
    const index = req.kind === "part" ? /** @type {number} */ (req.index) : u.slices.length - 1;
    const slice = u.slices[index];
    if (slice.length < 2) return false;
    u.slices.splice(index, 1, ...cutText(slice, Math.ceil(slice.length / 2)));
    return true;
  };

  /** Nothing got this send through: drop it, and say so (never spin on the same request). */
  const giveUp = () => {
    const u = /** @type {NonNullable<typeof upload>} */ (upload);
    upload = null;
    console.warn("[cobrowse] a send is too large for this network or blocked by a proxy: given up");
    if (o.onGiveUp) o.onGiveUp(u.events);
  };

  /** Take the next request and make it until the server has answered it. */
  const pump = async () => {
    if (sending || !ready || !running) return;
    sending = true;
    try {
      while (running && ready && (inflight || upload || queue.length)) {
        if (!inflight) inflight = await nextRequest();
        const req = inflight;
        if (req.kind !== "part" && !req.seq) req.seq = seq + 1;
        if (req.kind === "commit" && upload) upload.seq = req.seq;
        const enc = await encode(bodyOf(req));
        if (req.kind !== "send" && enc.size > cap && splitFurther(req, enc.size)) {
          inflight = null; // the same slices, cut smaller: decide again
          continue;
        }
        let r = null;
        let timedOut = false;
        const started = natives.now ? natives.now() : Date.now();
        try {
          r = await post("api/v1/send", null, sendTimeout(enc.size, uplink), (c) => (sendCtrl = c), enc);
        } catch (e) {
          timedOut = !!(/** @type {any} */ (e).timedOut);
          r = null;
        } finally {
          sendCtrl = null;
        }
        if (!running) return;
        if (req.kind !== "send" && !upload) {
          inflight = null; // the upload was dropped meanwhile (the session ended)
          continue;
        }
        if (r && r.status >= 200 && r.status < 300) {
          const took = natives.now() - started;
          if (enc.size > 4096 && took > 0) uplink = Math.max(uplink / 2, 0.5 * uplink + (0.5 * enc.size) / took);
          answered(req);
          continue;
        }
        if (r) unreadable = 0;
        if (!r && retryNow) {
          retryNow = false;
          continue;
        }
        if (r && r.status === 409 && r.json && r.json.error === "seq" && typeof r.json.expected === "number") {
          seq = r.json.expected - 1;
          req.seq = r.json.expected;
        } else if (r && r.status === 409 && r.json && r.json.error === "parts" && upload) {
          const missing = (r.json.missing || []).filter((/** @type {any} */ i) => typeof i === "number");
          upload.next = missing.length ? Math.min(upload.next, ...missing) : 0;
          inflight = null;
        } else if (r && r.status === 401) {
          ready = false; // the poll loop says hello again, then pumps again
          queue = (upload ? upload.events : []).concat(req.kind === "send" ? req.events || [] : [], queue);
          upload = null;
          inflight = null;
          return;
        } else if (r && [413, 414, 431].includes(r.status) && splitFurther(req, enc.size)) {
          inflight = null;
        } else if (r && r.status >= 400 && r.status < 500 && r.status !== 429 && r.status !== 408) {
          refused(req, r);
        } else if (!r && !timedOut && enc.size > BODY_FLOOR && splitFurther(req, enc.size)) {
          // No status to read: a proxy's refusal of a large body looks just like this.
          inflight = null;
        } else if (!r && !timedOut && req.kind !== "send" && upload && ++upload.floorFails >= FLOOR_TRIES && pollWorks()) {
          giveUp();
          inflight = null;
        } else {
          sendFailures++;
          const retryAfter = r && r.json && r.json.retry_after;
          let wait = retryDelay(sendFailures);
          if (r && r.status === 429) wait = 1000 * (retryAfter || 5);
          else if (r && r.status === 503 && r.json && r.json.error === "busy") wait = 200 + 1000 * Math.min(retryAfter || 1, 5) * natives.random();
          else if (r && retryAfter) wait = 1000 * retryAfter;
          if (!r) o.onStatus(false);
          if (!r && !timedOut && navigator.onLine !== false && ++unreadable >= UNREADABLE_LIMIT && pollWorks()) {
            unreadable = 0;
            console.warn("[cobrowse] the server's answers cannot be read: saying hello again");
            blocked = true;
            if (o.onBlocked) o.onBlocked(true);
            ready = false; // the poll loop says hello, then the same send goes again
            if (polling) polling.abort();
            return;
          }
          await sleep(wait);
        }
      }
    } finally {
      sending = false;
    }
  };

  /** The last poll got an answer recently: a failing send is not the network's fault. */
  let lastPollOk = 0;
  const pollWorks = () => natives.now() - lastPollOk < (hold + 15) * 1000;

  /** The server answered the current request. @param {NonNullable<typeof inflight>} req */
  const answered = (req) => {
    if (req.kind === "part") {
      if (upload) upload.next++;
    }
    else {
      seq = Math.max(seq, /** @type {number} */ (req.seq)); // a beacon may have gone after it
      if (req.kind === "commit") upload = null;
    }
    inflight = null;
    sendFailures = 0;
    unreadable = 0;
    o.onStatus(true);
  };

  /**
   * A refused send still consumes its seq; resend the others when one event was at fault.
   * A refused part refuses its whole upload.
   * @param {NonNullable<typeof inflight>} req @param {any} r
   */
  const refused = (req, r) => {
    inflight = null;
    const events = req.kind === "send" ? /** @type {any[]} */ (req.events) : upload ? upload.events : [];
    if (req.kind !== "part") seq = /** @type {number} */ (req.seq);
    if (req.kind !== "send") upload = null;
    const index = r.json && typeof r.json.index === "number" ? r.json.index : -1;
    const bad = events[index];
    console.warn("[cobrowse] the server refused", bad ? bad.k : "a batch", "-", r.json && r.json.message);
    // A refused piece of a visible-first snapshot: the replica could never complete.
    if (events.length && alone.has(events[0]) && o.onPieceRefused) o.onPieceRefused();
    if (req.kind !== "part" && index >= 0 && events.length > 1) {
      events.splice(index, 1);
      queue = events.concat(queue);
    }
  };

  return {
    /** Say hello, then poll forever (until stop). */
    start() {
      pollLoop().catch((e) => console.warn("[cobrowse] poll loop ended", e));
    },
    /** Queue an event for the server; `own`: in a send of its own. @param {any} ev @param {boolean} [own] */
    send(ev, own) {
      queue.push(ev);
      if (own) alone.add(ev);
      natives.setTimeout(() => pump().catch((e) => console.warn("[cobrowse] send failed", e)), 0);
    },
    /** Drop queued events for which `drop(ev)` is true (e.g. capture after the session ended). @param {(ev: any) => boolean} drop */
    prune(drop) {
      queue = queue.filter((ev) => !drop(ev));
      if (upload && upload.events.every(drop)) upload = null;
    },
    /** Number of queued events (not yet sent). */
    pending: () => queue.length + (inflight && inflight.events ? inflight.events.length : 0) + (upload ? upload.events.length : 0),
    /** There is something to receive now (the chat was opened): start the poll at once. */
    activate() {
      if (idleWake) idleWake();
    },
    /** For tests and the benchmark: the upload under way and the current cap. */
    uploading: () => (upload ? { parts: upload.slices.length, next: upload.next, cap } : null),
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
      const next = (inflight && inflight.seq ? inflight.seq : seq) + 1;
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
      if (idleWake) idleWake();
      for (const c of live) c.abort();
    },
  };
}
