/**
 * Stable node ids: a positive integer per captured node, for the life of the node
 * (docs/protocol.md "Snapshot format"). Mutations, pointer and agent events refer to them.
 * @module ids
 */
import { firstChild, nextSibling, shadowOf } from "./dom.js";

/**
 * @typedef {Object} NodeIds
 * @property {(n: Node) => number} idOf       get or assign the node's id
 * @property {(n: Node) => number} peek       the node's id, or 0 when it has none
 * @property {(n: Node) => void} mark         the node is in the agent's replica
 * @property {(n: Node) => number} take       idOf + mark, for the serializer's hot loop
 * @property {(n: Node) => boolean} isLive    the node is in the agent's replica
 * @property {(id: number) => Node|null} nodeOf  the live node with that id
 * @property {(n: Node) => void} forget       the node and its subtree left the replica
 * @property {() => void} reset               a new snapshot: nothing is live
 */

/**
 * @returns {NodeIds}
 */
export function createNodeIds() {
  /** @type {WeakMap<Node, number>} */
  const ids = new WeakMap();
  /** @type {Map<number, Node>} */
  let live = new Map();
  let next = 1;
  const peek = (/** @type {Node} */ n) => ids.get(n) || 0;
  /** @param {Node} n */
  const forget = (n) => {
    const id = ids.get(n);
    if (id && live.get(id) === n) live.delete(id);
    for (let c = firstChild(n); c; c = nextSibling(c)) forget(c);
    const sh = shadowOf(n);
    if (sh) forget(sh);
  };
  return {
    idOf(n) {
      let id = ids.get(n);
      if (!id) {
        id = next++;
        ids.set(n, id);
      }
      return id;
    },
    peek,
    take(n) {
      let id = ids.get(n);
      if (!id) {
        id = next++;
        ids.set(n, id);
      }
      live.set(id, n);
      return id;
    },
    mark(n) {
      live.set(/** @type {number} */ (ids.get(n)), n);
    },
    isLive(n) {
      const id = ids.get(n);
      return !!id && live.get(id) === n;
    },
    nodeOf(id) {
      return live.get(id) || null;
    },
    forget,
    reset() {
      live = new Map();
    },
  };
}
