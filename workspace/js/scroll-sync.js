// Co-scrolling both ways without echo loops: the visitor's scroll is applied to the
// replica; the agent's own scrolling (after a wheel, key or touch in the replica) is sent.
import { throttle } from './dom.js';
import { on, scrollOf, typeOf, viewOf } from './safe-dom.js';

const SEND_MS = 100;
const GESTURE_MS = 1200;

/** Follows and leads scrolling for one replica. */
export class ScrollSync {
  /**
   * @param {import('./replica.js').Replica} replica
   * @param {(events: object[], opts?: {merge?: boolean}) => void} send
   */
  constructor(replica, send) {
    this.replica = replica;
    this.send = send;
    this.gestureAt = 0;
    /** @type {Map<number, (x: number, y: number) => void>} */
    this.senders = new Map();
  }

  /**
   * Apply the visitor's scroll.
   * @param {number} id the document's id or an element's
   * @param {number} x
   * @param {number} y
   */
  remote(id, x, y) {
    this.replica.scroll(id, Number(x) || 0, Number(y) || 0);
  }

  /**
   * Listen to the agent's scrolling in one replica document.
   * @param {Document} doc
   */
  hook(doc) {
    const gesture = () => {
      this.gestureAt = Date.now();
    };
    for (const type of ['wheel', 'keydown', 'touchmove', 'mousedown']) {
      on(doc, type, gesture, { capture: true, passive: true });
    }
    on(doc, 'scroll', (e) => this.local(doc, /** @type {Node} */ (e.target)), { capture: true, passive: true });
  }

  /**
   * A scroll happened in the replica: send it only if the agent caused it (a scroll we
   * applied for the visitor must not bounce back).
   * @private
   * @param {Document} doc
   * @param {Node} target
   */
  local(doc, target) {
    if (Date.now() - this.gestureAt > GESTURE_MS) return;
    const id = this.replica.idOf(target);
    if (id === undefined) return;
    let x;
    let y;
    if (typeOf(target) === 9) {
      const win = /** @type {Window} */ (viewOf(doc));
      x = win.scrollX;
      y = win.scrollY;
    } else {
      [x, y] = scrollOf(/** @type {Element} */ (target));
    }
    let sender = this.senders.get(id);
    if (!sender) {
      sender = throttle((/** @type {number} */ sx, /** @type {number} */ sy) => this.send([{ k: 'scroll', i: id, x: Math.round(sx), y: Math.round(sy) }], { merge: true }), SEND_MS);
      this.senders.set(id, sender);
    }
    sender(x, y);
  }
}
