// HTTP transport of the workspace: JSON requests, the send queue and the poll loop.
// Rules from docs/protocol.md and DESIGN.md "Protocol principles": one send in flight with a
// sequence number (a retry reuses it), cursors per stream (the last id seen), backoff with
// jitter from 1 s to 30 s, and a hard timeout of hold + 10 s on each poll.

const MAX_BACKOFF_MS = 30000;
const SEND_TIMEOUT_MS = 20000;
const BODY_IDLE_MS = 15000;
const MAX_EVENTS_PER_SEND = 500;

/** An error answer of the server, or a transport failure (status 0). */
export class ApiError extends Error {
  /**
   * @param {number} status HTTP status, 0 when the request never got an answer
   * @param {{error?: string, message?: string, retry_after?: number, [k: string]: any}} body
   */
  constructor(status, body) {
    super(body.message || body.error || `HTTP ${status}`);
    this.status = status;
    this.code = body.error || '';
    this.retryAfter = Number(body.retry_after) || 0;
    this.body = body;
  }
}

/**
 * Milliseconds to wait before the next attempt: exponential from 1 s, capped at 30 s, with
 * "full jitter" so many workspaces do not come back at the same instant.
 * @param {number} attempt 0 for the first retry
 * @returns {number}
 */
export function backoff(attempt) {
  const base = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(attempt, 10));
  return Math.min(MAX_BACKOFF_MS, base * (1 + Math.random() * 0.5));
}

/**
 * A co-browse session is being followed on this page (set by Poller.follow): an outage is
 * then probed every 2-3 s for about a minute instead of backing off to 30 s, so the session
 * is back within 3 s of the network (docs/protocol.md "Parts and lanes").
 */
let inSession = false;
const PROBES_MAX = 20;
const PROBE_TIMEOUT_MS = 3000;

/**
 * The wait before the next attempt: a short jittered probe interval during a session, else
 * the backoff.
 * @param {number} attempt 0 for the first retry
 */
export function retryDelay(attempt) {
  return inSession && attempt < PROBES_MAX ? 2000 + Math.random() * 1000 : backoff(attempt);
}

/** @param {number} ms */
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Read a response body as text, reporting bytes as they arrive; the body must keep flowing
 * (an idle gap of 15 s aborts it).
 * @param {Response} res
 * @param {AbortController} ctrl
 * @param {(bytes: number) => void} [onProgress]
 */
async function readBody(res, ctrl, onProgress) {
  if (!res.body || !onProgress) return res.text();
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let bytes = 0;
  for (;;) {
    const idle = setTimeout(() => ctrl.abort(), BODY_IDLE_MS);
    const { done, value } = await reader.read().finally(() => clearTimeout(idle));
    if (done) break;
    bytes += value.byteLength;
    text += decoder.decode(value, { stream: true });
    onProgress(bytes);
  }
  return text + decoder.decode();
}

/**
 * One JSON request to the server (POST with a body, GET without). Resolves with the parsed
 * answer when it says ok; rejects with ApiError otherwise (status 0: no answer, timeout).
 * @param {string} path absolute path on this origin
 * @param {object} [body]
 * @param {{timeout?: number, signal?: AbortSignal, onProgress?: (bytes: number) => void}} [opts]
 * @returns {Promise<any>}
 */
export async function request(path, body, opts = {}) {
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(), opts.timeout ?? SEND_TIMEOUT_MS);
  const outer = opts.signal;
  const onAbort = () => ctrl.abort();
  outer?.addEventListener('abort', onAbort, { once: true });
  const url = `${path}${path.includes('?') ? '&' : '?'}r=${Math.random().toString(36).slice(2)}`;
  try {
    /** @type {RequestInit} */
    const init = { method: 'GET', credentials: 'same-origin', cache: 'no-store', signal: ctrl.signal };
    if (body !== undefined) {
      init.method = 'POST';
      init.headers = { 'Content-Type': 'application/json' };
      init.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(url, init);
    } catch (err) {
      throw new ApiError(0, { error: 'network', message: 'The server could not be reached.' });
    }
    clearTimeout(timer);
    let data;
    try {
      data = JSON.parse(await readBody(res, ctrl, opts.onProgress));
    } catch {
      if (ctrl.signal.aborted) throw new ApiError(0, { error: 'timeout', message: 'The answer stopped.' });
      data = { ok: false, error: 'bad_response', message: `Unexpected answer (HTTP ${res.status}).` };
    }
    if (!res.ok || !data || data.ok === false) throw new ApiError(res.ok ? 500 : res.status, data || {});
    return data;
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener('abort', onAbort);
  }
}

/**
 * @typedef {{events: object[], merge: boolean, noWait?: boolean, resolve: (r: object[]) => void,
 *   reject: (e: Error) => void}} Batch
 * @typedef {{onStatus?: (online: boolean) => void, onUnauthorized?: () => void}} Hooks
 */

/** The agent's outgoing events: sequence-numbered batches, one in flight at a time. */
export class Sender {
  /**
   * @param {string} token the agent's participant token
   * @param {number} seq the last applied seq the server reported at sign-in
   * @param {Hooks} [hooks]
   */
  constructor(token, seq, hooks = {}) {
    this.token = token;
    this.next = (Number(seq) || 0) + 1;
    this.hooks = hooks;
    /** @type {Batch[]} */
    this.queue = [];
    this.busy = false;
    this.closed = false;
  }

  /**
   * Queue events as one batch (all or nothing on the server). `merge` batches (pointer,
   * scroll...) may share a send with their neighbours: losing one of them costs nothing.
   * `noWait`: a throttled (429) batch is rejected at once instead of retried after
   * `retry_after` (a watcher's snapshot.request: nothing waits behind it).
   * @param {object[]} events
   * @param {{merge?: boolean, noWait?: boolean}} [opts]
   * @returns {Promise<object[]>} one result per event
   */
  send(events, opts = {}) {
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(new ApiError(401, { error: 'closed', message: 'Signed out.' }));
      this.queue.push({ events, merge: !!opts.merge && !opts.noWait, noWait: !!opts.noWait, resolve, reject });
      this.pump();
    });
  }

  /** Stop sending; queued batches are rejected. */
  close() {
    this.closed = true;
    for (const b of this.queue.splice(0)) b.reject(new ApiError(401, { error: 'closed', message: 'Signed out.' }));
  }

  /** @private */
  async pump() {
    if (this.busy) return;
    this.busy = true;
    try {
      while (this.queue.length && !this.closed) {
        const batches = [/** @type {Batch} */ (this.queue.shift())];
        let count = batches[0].events.length;
        while (batches[0].merge && this.queue[0]?.merge && count + this.queue[0].events.length <= MAX_EVENTS_PER_SEND) {
          const more = /** @type {Batch} */ (this.queue.shift());
          count += more.events.length;
          batches.push(more);
        }
        const events = batches.flatMap((b) => b.events);
        try {
          const results = await this.deliver(events, !!batches[0].noWait);
          let at = 0;
          for (const b of batches) {
            b.resolve(results.slice(at, at + b.events.length));
            at += b.events.length;
          }
        } catch (err) {
          for (const b of batches) b.reject(/** @type {Error} */ (err));
        }
      }
    } finally {
      this.busy = false;
    }
  }

  /**
   * Deliver one send, retrying transport failures with the same seq.
   * @private
   * @param {object[]} events
   * @param {boolean} [noWait] reject a 429 instead of waiting to retry
   * @returns {Promise<object[]>}
   */
  async deliver(events, noWait = false) {
    let attempt = 0;
    let resyncs = 0;
    for (;;) {
      const seq = this.next;
      try {
        const res = await request('/api/v1/send', { token: this.token, seq, events }, { timeout: SEND_TIMEOUT_MS });
        this.next = seq + 1;
        this.hooks.onStatus?.(true);
        return Array.isArray(res.results) ? res.results : [];
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        if (err.status === 409 && err.code === 'seq' && Number.isInteger(err.body.expected) && resyncs < 3) {
          resyncs += 1; // another tab or a lost answer moved the server on: follow it
          this.next = err.body.expected;
          continue;
        }
        if (err.status === 401) {
          this.hooks.onUnauthorized?.();
          throw err;
        }
        if (err.status === 429) {
          // A throttled seq may be stored as consumed: move on; a 409 resyncs otherwise.
          this.next = seq + 1;
          if (noWait) throw err;
          await sleep(Math.max(err.retryAfter, 1) * 1000);
          continue;
        }
        if (err.status === 0 || err.status >= 500) {
          if (this.closed) throw err;
          this.hooks.onStatus?.(false);
          await sleep(err.status === 503 && err.code === 'busy' ? 200 + Math.random() * 800 : retryDelay(attempt++));
          continue;
        }
        this.next = seq + 1; // refused: the seq is consumed (protocol.md "A refused seq")
        throw err;
      }
    }
  }
}

/**
 * @typedef {{onEvents: (events: any[]) => void, onState: (state: any) => void,
 *   onStatus?: (online: boolean) => void, onUnauthorized?: () => void,
 *   onReleased?: () => void, onProgress?: (bytes: number) => void}} PollHooks
 */

/** The long-poll loop: reads the inbox and the current session's stream. */
export class Poller {
  /**
   * One `part` of an event too big for one answer (protocol.md "Answers are capped the same
   * way"): the parts of an event are consecutive in its stream. Returns the whole event
   * (with the last part's stream and id) once its last part came, else null. A part out of
   * order (a stream read from its middle) drops what was gathered: never half an event.
   * @private
   * @param {string} stream
   * @param {any} ev
   * @returns {any}
   */
  join(stream, ev) {
    const [index, count] = Array.isArray(ev.part) ? ev.part : [-1, 0];
    const got = this.parts.get(stream);
    if (index === 0) this.parts.set(stream, { count, slices: [] });
    const gathering = this.parts.get(stream);
    if (!gathering || gathering.count !== count || gathering.slices.length !== index || typeof ev.data !== 'string' || (index > 0 && !got)) {
      this.parts.delete(stream);
      return null;
    }
    gathering.slices.push(ev.data);
    if (index < count - 1) return null;
    this.parts.delete(stream);
    try {
      return { ...JSON.parse(gathering.slices.join('')), s: ev.s, id: ev.id };
    } catch {
      return null;
    }
  }

  /**
   * @param {string} token
   * @param {PollHooks} hooks
   * @param {number} [hold] seconds the server may park the poll
   */
  constructor(token, hooks, hold = 25) {
    this.token = token;
    this.hooks = hooks;
    this.hold = hold;
    /** @type {Record<string, number>} */
    this.cursors = { inbox: 0 };
    /** The owner's stream of a watched session, `o_<id>` (issue 15), or null. */
    this.ownerStream = null;
    /** @type {Map<string, {count: number, slices: string[]}>} parts gathered per stream */
    this.parts = new Map();
    this.running = false;
    this.ctrl = new AbortController();
    /** @type {(() => void)|null} ends the current backoff wait early */
    this.wakeUp = null;
    // The network is back: retry now instead of waiting out the backoff (up to 30 s).
    window.addEventListener('online', () => this.wakeUp?.());
  }

  /**
   * Wait `ms`, or less if the browser comes back online meanwhile.
   * @private
   * @param {number} ms
   */
  pause(ms) {
    return new Promise((resolve) => {
      const done = () => {
        window.clearTimeout(timer);
        this.wakeUp = null;
        resolve(undefined);
      };
      const timer = window.setTimeout(done, ms);
      this.wakeUp = done;
    });
  }

  /** Start polling (idempotent). */
  start() {
    if (this.running) return;
    this.running = true;
    this.loop();
  }

  /** Stop polling and abort the parked request. */
  stop() {
    this.running = false;
    this.ctrl.abort();
  }

  /**
   * Follow the session stream of `sessionId` (null: none). A new stream starts at cursor 0.
   * A watcher (issue 15) starts afresh: the page's stream at 0 (the server starts it at the
   * latest snapshot), the owner's stream `o_<id>` without a cursor (the server starts it
   * live and the answer's cursors say where).
   * @param {string|null} sessionId
   * @param {{watching?: boolean}} [opts]
   */
  follow(sessionId, opts = {}) {
    const key = sessionId ? `s_${sessionId}` : null;
    this.ownerStream = sessionId && opts.watching ? `o_${sessionId}` : null;
    for (const name of Object.keys(this.cursors)) if (name !== 'inbox' && name !== key) delete this.cursors[name];
    if (key && (opts.watching || !(key in this.cursors))) this.cursors[key] = 0;
    inSession = !!key;
  }

  /** @private */
  async loop() {
    let attempt = 0;
    let released = 0;
    while (this.running) {
      try {
        const res = await request(
          '/api/v1/poll',
          // After a failure, ask for an immediate answer: it says at once that the server
          // is reachable again (a parked poll would keep "reconnecting" up for `hold` s).
          { token: this.token, cursors: { ...this.cursors }, hold: attempt ? 0 : this.hold },
          // A probe (after a failure) is not parked: a short timeout finds a black hole fast.
          { timeout: attempt ? PROBE_TIMEOUT_MS : (this.hold + 10) * 1000, signal: this.ctrl.signal, onProgress: this.hooks.onProgress },
        );
        attempt = 0;
        this.hooks.onStatus?.(true);
        if (res.released) {
          // Another poll of ours (another tab) took over; give way if it keeps happening.
          if (++released >= 3) this.hooks.onReleased?.();
          await sleep(released * 500);
          continue;
        }
        released = 0;
        this.deliver(res);
      } catch (err) {
        if (!this.running) return;
        if (err instanceof ApiError && err.status === 401) {
          this.running = false;
          this.hooks.onUnauthorized?.();
          return;
        }
        this.hooks.onStatus?.(false);
        await this.pause(retryDelay(attempt++));
      }
    }
  }

  /**
   * Drop events already seen, move the cursors, hand the rest on.
   * @private
   * @param {{events?: any[], cursors?: Record<string, number>, state?: any}} res
   */
  deliver(res) {
    const fresh = [];
    for (const ev of res.events || []) {
      const stream = ev.s || 'inbox';
      if (!(stream in this.cursors) && stream !== 'inbox' && !stream.startsWith('s_') && stream !== this.ownerStream) continue;
      if (ev.id <= (this.cursors[stream] ?? 0)) continue;
      this.cursors[stream] = ev.id;
      const whole = ev.k === 'part' ? this.join(stream, ev) : ev;
      if (whole) fresh.push(whole);
    }
    for (const [stream, id] of Object.entries(res.cursors || {})) {
      const known = stream in this.cursors || stream === this.ownerStream;
      if (known && Number.isInteger(id) && id > (this.cursors[stream] ?? -1)) this.cursors[stream] = id;
    }
    // Events first: a session.started in this answer explains the STATE that follows.
    if (fresh.length) this.hooks.onEvents(fresh);
    if (res.state) this.hooks.onState(res.state);
  }
}
