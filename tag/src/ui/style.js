/**
 * The engagement window's CSS. It lives inside the tag's shadow root, so the page's CSS
 * and ours never mix.
 * @module ui/style
 */

/** Stylesheet text for the shadow root. */
export const CSS = `
:host{all:initial}
*{box-sizing:border-box;font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d1d1f}
button{cursor:pointer;border:0;border-radius:8px;padding:8px 12px;background:#0b57d0;color:#fff;font-weight:600}
button.secondary{background:#e8eaed;color:#1d1d1f}
.launcher{position:fixed;right:20px;bottom:20px;width:56px;height:56px;border-radius:50%;padding:0;
  display:flex;align-items:center;justify-content:center;box-shadow:0 4px 16px rgba(0,0,0,.25);z-index:2}
.launcher svg{display:block}
.badge{position:absolute;top:-4px;right:-4px;min-width:20px;height:20px;border-radius:10px;background:#d93025;color:#fff;
  font-size:12px;line-height:20px;text-align:center;padding:0 5px}
.badge[hidden]{display:none}
.panel{position:fixed;right:20px;bottom:88px;width:340px;max-width:calc(100vw - 40px);height:440px;max-height:calc(100vh - 120px);
  background:#fff;border-radius:12px;box-shadow:0 8px 32px rgba(0,0,0,.3);display:flex;flex-direction:column;overflow:hidden;z-index:2}
.panel[hidden],.launcher[hidden],.code[hidden]{display:none}
.coderow{display:flex;gap:8px;align-items:center;padding:0 8px 8px}
.coderow button{padding:4px 10px;font-size:12px}
.code{font:600 18px/1.2 ui-monospace,monospace;letter-spacing:.15em}
.head{background:#0b57d0;color:#fff;padding:10px 14px;display:flex;align-items:center;justify-content:space-between}
.head *{color:#fff}
.head button{background:transparent;padding:2px 6px;font-size:18px}
.status{background:#fef7e0;color:#8a5a00;padding:4px 14px;font-size:12px}
.status[hidden]{display:none}
.messages{flex:1;overflow-y:auto;padding:10px;display:flex;flex-direction:column;gap:6px;background:#f8f9fa}
.msg{max-width:80%;padding:6px 10px;border-radius:10px;white-space:pre-wrap;word-wrap:break-word}
.msg.visitor{align-self:flex-end;background:#0b57d0;color:#fff}
.msg.agent{align-self:flex-start;background:#fff;border:1px solid #dadce0}
.msg .who{display:block;font-size:11px;opacity:.7}
.invite{margin:8px 10px;padding:10px;border:2px solid #0b57d0;border-radius:10px;background:#e8f0fe}
.invite p{margin:0 0 8px}
.invite .row{display:flex;gap:8px}
form{display:flex;gap:6px;padding:8px;border-top:1px solid #dadce0}
input{flex:1;padding:8px;border:1px solid #dadce0;border-radius:8px}
.frame{position:fixed;inset:0;border:3px solid #f29900;pointer-events:none;z-index:1}
.frame[hidden],.cursor[hidden],.ring[hidden]{display:none}
.frame .bar{position:absolute;left:4px;bottom:4px;max-width:calc(100% - 8px);display:flex;gap:2px;align-items:center;
  background:#f29900;border-radius:12px;padding:2px;box-shadow:0 1px 4px rgba(0,0,0,.3);pointer-events:none}
.frame .bar span{color:#000;font-weight:600;font-size:12px;line-height:20px;padding:0 4px;white-space:nowrap;
  overflow:hidden;text-overflow:ellipsis}
.frame.folded .bar span{display:none}
.frame .bar button{pointer-events:auto;width:20px;height:20px;padding:0;border-radius:10px;font-size:12px;line-height:20px;
  text-align:center;background:#000;color:#fff}
.frame .bar button[hidden]{display:none}
.frame .bar span[hidden]{display:none}
.frame .bar span.watchers{font-weight:400}
.frame .bar button.clear{background:#d93025}
.annotations{position:fixed;left:0;top:0;width:100%;height:100%;pointer-events:none;z-index:2;overflow:visible}
.annotations .stroke{stroke-width:4;stroke-linecap:round;stroke-linejoin:round;opacity:.9;transition:opacity .7s ease-out}
.annotations .stroke[data-fading]{opacity:0}
.frame .bar button.toggle{background:transparent;color:#000;font-size:14px}
.frame .bar button.drop{width:auto;padding:0 8px;white-space:nowrap}
.frame .bar button[hidden]{display:none}
.frame[data-paused] {border-color:#5f6368}
.frame[data-paused] .bar{background:#dadce0}
.cursor{position:fixed;left:0;top:0;pointer-events:none;z-index:3;transition:transform .08s linear}
.cursor svg{display:block}
.cursor .name{position:absolute;left:16px;top:16px;background:#f29900;color:#000;font-size:12px;padding:1px 6px;border-radius:6px;white-space:nowrap}
.ring{position:fixed;width:44px;height:44px;margin:-22px 0 0 -22px;border:4px solid #fbbc04;border-radius:50%;
  pointer-events:none;z-index:3;animation:ring 1.2s ease-out forwards}
@keyframes ring{0%{transform:scale(.4);opacity:1}100%{transform:scale(1.6);opacity:0}}
.sel{position:fixed;background:rgba(251,188,4,.4);pointer-events:none;z-index:1}
`;
