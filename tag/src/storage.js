/**
 * The tab's memory: one JSON object in sessionStorage per site (token, cursors, chat
 * log, panel state). sessionStorage is per tab, which is exactly the scope of a co-browse
 * session (DESIGN.md "Rules from the product"); when it is unavailable (privacy modes,
 * sandboxed frames) the tag falls back to memory for this page only.
 * @module storage
 */

/**
 * @typedef {Object} TabStore
 * @property {(name: string) => any} get
 * @property {(name: string, value: any) => void} set
 * @property {() => void} clear
 */

/**
 * @param {string} site
 * @param {import("./natives.js").Natives} natives
 * @returns {TabStore}
 */
export function createTabStore(site, natives) {
  const key = "cobrowse:" + site;
  /** @type {Record<string, any>} */
  let data = {};
  /** @type {Storage|null} */
  let storage = null;
  try {
    storage = window.sessionStorage;
    data = natives.parse(storage.getItem(key) || "{}") || {};
    if (typeof data !== "object") data = {};
  } catch (e) {
    storage = null;
  }
  const save = () => {
    if (!storage) return;
    try {
      storage.setItem(key, natives.stringify(data));
    } catch (e) {
      /* quota or disabled: this page still works from memory */
    }
  };
  return {
    get: (name) => data[name],
    set(name, value) {
      if (value === undefined) delete data[name];
      else data[name] = value;
      save();
    },
    clear() {
      data = {};
      save();
    },
  };
}
