/*
 * CoBrowse visitor tag: the tiny classic-script loader a brand page embeds:
 *   <script src="https://HOST/tag/cobrowse.js" data-site="SITE_ID" async></script>
 * It finds its server from its own src and loads the real code (tag/src/) as ES modules.
 * It runs in the top window only (never inside frames).
 * Nothing here may throw into the page.
 */
(function () {
  "use strict";
  try {
    // Inside a frame the tag does nothing: the top page captures its same-origin frames
    // itself, and a frame must neither draw a launcher nor share the top's session.
    if (window.top !== window) return;
    // Loaded twice: keep the first. An own property only: an element with id or name
    // "CoBrowse" shows through window.CoBrowse too (named access), but never as own.
    if (Object.prototype.hasOwnProperty.call(window, "CoBrowse") && window.CoBrowse) return;
    // Through Document.prototype: the page's markup may clobber document.currentScript
    // and friends (<img name=currentScript>).
    var D = Document.prototype;
    var script = Object.getOwnPropertyDescriptor(D, "currentScript").get.call(document);
    if (!script || !script.src || script.src.indexOf("/tag/cobrowse.js") < 0 || !script.getAttribute("data-site")) {
      script = D.querySelector.call(document, 'script[src*="/tag/cobrowse.js"][data-site]');
    }
    if (!script) return;
    var src = script.src;
    var site = script.getAttribute("data-site");
    // Placeholder until main.js replaces it; also marks "loading" against double loads.
    window.CoBrowse = { loading: true, stop: function () {} };
    import(new URL("src/main.js", src).href).then(function (mod) {
      mod.start({ site: site, server: new URL("../", src).href,
        maxBody: Number(script.getAttribute("data-max-body")) || 0 });
    }).catch(function (err) {
      try { console.warn("[cobrowse] tag failed to load", err); } catch (e) { /* ignore */ }
    });
  } catch (err) {
    try { console.warn("[cobrowse] tag failed to start", err); } catch (e) { /* ignore */ }
  }
})();
