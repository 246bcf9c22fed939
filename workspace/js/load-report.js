// What the replica could not load: fonts, style sheets and images (issue 11, item 6).
// Counted by the replica itself (error events, document.fonts), not guessed; for what came
// through our resource proxy the reason is the proxy's own answer (it caches failures, so
// asking again costs the brand nothing).

import { modeOf, nameOf, on, queryAll } from './safe-dom.js';

const MAX_LINES = 6;
const MAX_LOOKUPS = 12;
const PROXY = '/replica-assets/';
const KIND_WORD = { font: 'font', style: 'style sheet', image: 'image' };

/** @typedef {{kind: 'font'|'style'|'image', what: string, url: string, reason: string}} Failure */

/**
 * The host a URL loads from, for a person ("fonts.brand.example", or "the resource proxy").
 * @param {string} url
 * @returns {string}
 */
function hostOf(url) {
  if (!url) return '';
  try {
    const parsed = new URL(url, location.href);
    if (parsed.origin === location.origin && parsed.pathname.startsWith(PROXY)) {
      const encoded = parsed.pathname.split('/')[5] || '';
      return new URL(atob(encoded.replace(/-/g, '+').replace(/_/g, '/'))).host;
    }
    return parsed.host;
  } catch {
    return '';
  }
}

/** Collects load failures of the replica's documents and tells the widget. */
export class LoadReport {
  /** @param {(lines: string[]) => void} onChange */
  constructor(onChange) {
    this.onChange = onChange;
    /** @type {Map<string, Failure>} */
    this.failures = new Map();
    /** @type {Map<string, Promise<string>>} */
    this.reasons = new Map();
    this.generation = 0;
  }

  /** A new page: forget the old one's failures. */
  reset() {
    this.generation += 1;
    this.failures.clear();
    this.onChange([]);
  }

  /**
   * Listen to one replica document: element errors (captured: they do not bubble) and
   * its fonts.
   * @param {Document} doc
   */
  hook(doc) {
    on(doc, 'error', (e) => this.elementFailed(/** @type {Element} */ (e.target)), true);
    const fonts = modeOf(doc).fonts;
    if (fonts) {
      fonts.addEventListener('loadingerror', (e) => {
        for (const face of /** @type {FontFaceSetLoadEvent} */ (e).fontfaces) this.fontFailed(doc, face);
      });
    }
  }

  /**
   * Look at every font the documents know (fonts that failed before we listened).
   * @param {Document[]} docs
   */
  scan(docs) {
    for (const doc of docs) {
      modeOf(doc).fonts?.forEach((face) => {
        if (face.status === 'error') this.fontFailed(doc, face);
      });
      // Broken before our listener was on (a page is built detached, and images load then).
      for (const img of queryAll(doc, 'img[src]')) {
        const el = /** @type {HTMLImageElement} */ (img);
        if (el.complete && el.naturalWidth === 0) this.elementFailed(el);
      }
      for (const link of queryAll(doc, 'link[rel~="stylesheet" i][href]')) {
        if (!(/** @type {HTMLLinkElement} */ (link).sheet)) this.elementFailed(link);
      }
    }
  }

  /**
   * @private
   * @param {Element} el
   */
  elementFailed(el) {
    const name = nameOf(el);
    if (name === 'img') {
      const img = /** @type {HTMLImageElement} */ (el);
      this.add({ kind: 'image', what: '', url: img.currentSrc || Element.prototype.getAttribute.call(el, 'src') || '', reason: '' });
    } else if (name === 'link') {
      this.add({ kind: 'style', what: '', url: Element.prototype.getAttribute.call(el, 'href') || '', reason: '' });
    }
  }

  /**
   * @private
   * @param {Document} doc
   * @param {FontFace} face
   */
  fontFailed(doc, face) {
    const family = face.family.replace(/^["']|["']$/g, '');
    this.add({ kind: 'font', what: family, url: fontUrl(doc, family), reason: '' });
  }

  /**
   * @private
   * @param {Failure} failure
   */
  add(failure) {
    failure.url = proxyPath(failure.url);
    const key = `${failure.kind} ${failure.what} ${failure.url}`;
    if (this.failures.has(key)) return;
    this.failures.set(key, failure);
    const generation = this.generation;
    this.reasonOf(failure).then((reason) => {
      if (generation !== this.generation) return;
      failure.reason = reason;
      this.onChange(this.lines());
    });
    this.onChange(this.lines());
  }

  /**
   * Why a URL did not load: the proxy's answer for proxied URLs; otherwise what usually
   * stops a cross-origin load.
   * @private
   * @param {Failure} failure
   * @returns {Promise<string>}
   */
  reasonOf(failure) {
    const { url, kind } = failure;
    if (!url.startsWith(PROXY)) {
      return Promise.resolve(kind === 'font'
        ? 'blocked: the brand sends no CORS header for it, or it is missing'
        : 'the brand\'s server did not deliver it');
    }
    let reason = this.reasons.get(url);
    if (!reason) {
      if (this.reasons.size >= MAX_LOOKUPS) return Promise.resolve('the resource proxy refused it');
      reason = fetch(url, { credentials: 'same-origin', cache: 'no-store' })
        .then(async (r) => (r.ok ? 'it loaded on a second try' : String((await r.json()).message || r.status)))
        .catch(() => 'the resource proxy did not answer');
      this.reasons.set(url, reason);
    }
    return reason;
  }

  /**
   * The report as lines for the fidelity note, most useful first, kept short.
   * @returns {string[]}
   */
  lines() {
    const all = [...this.failures.values()];
    const shown = all.slice(0, MAX_LINES).map((f) => {
      const host = hostOf(f.url);
      const what = f.what ? `${KIND_WORD[f.kind]} “${f.what}”` : KIND_WORD[f.kind];
      const from = host ? ` from ${host}` : '';
      return `A ${what}${from} did not load in the replica${f.reason ? `: ${f.reason}` : ''}.`;
    });
    if (all.length > MAX_LINES) shown.push(`${all.length - MAX_LINES} more fonts, style sheets or images did not load.`);
    return shown;
  }
}

/**
 * A proxied URL as its path on our origin (the form the sanitizer wrote); others unchanged.
 * @param {string} url
 * @returns {string}
 */
function proxyPath(url) {
  try {
    const parsed = new URL(url, location.href);
    if (parsed.origin === location.origin && parsed.pathname.startsWith(PROXY)) return parsed.pathname;
  } catch {
    /* not a URL: kept as it is */
  }
  return url;
}

/**
 * The first URL of a font family's @font-face rule in a document's style sheets.
 * @param {Document} doc
 * @param {string} family
 * @returns {string}
 */
function fontUrl(doc, family) {
  const sheets = [...modeOf(doc).sheets];
  for (let k = 0; k < sheets.length && k < 200; k++) {
    let rules;
    try {
      rules = sheets[k].cssRules;
    } catch {
      continue; // a sheet we may not read
    }
    for (const rule of Array.from(rules)) {
      // CSSRule.IMPORT_RULE and FONT_FACE_RULE (instanceof fails across frames).
      if (rule.type === 3 && /** @type {CSSImportRule} */ (rule).styleSheet) sheets.push(/** @type {CSSStyleSheet} */ (/** @type {CSSImportRule} */ (rule).styleSheet));
      if (rule.type !== 5) continue;
      const style = /** @type {CSSFontFaceRule} */ (rule).style;
      const name = style.getPropertyValue('font-family').replace(/^["']|["']$/g, '');
      if (name !== family) continue;
      const match = /url\(["']?([^"')]+)["']?\)/.exec(style.getPropertyValue('src'));
      if (match) return new URL(match[1], sheets[k].href || location.href).href;
    }
  }
  return '';
}
