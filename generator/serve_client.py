"""What `briefing serve` adds to pages in the browser, served from memory under /__briefing__/.

Nothing here is ever written into the built site: the server injects one
`<script src="/__briefing__/preview.js?build=N" defer>` into HTML responses,
and that script (same origin, so the site's `script-src 'self'` allows it)

* loads livereload's own client (`/__briefing__/livereload.js`) pointed at the
  server the page came from, with a livereload plugin that intercepts the
  server's "the build failed" message instead of reloading the page;
* shows the last build's errors as a fixed, accessible overlay (styled through
  CSSOM, which the site's `style-src 'self'` allows; no style attributes), and
  removes it when a good build reloads the page;
* reloads a page that was served from an older build than the current one
  (a build that finished while the page was loading);
* tells the server when a reload after a save has finished loading, so the
  server can log the save-to-reload latency.
"""

from __future__ import annotations

import html

#: Reserved paths; the site never has a top-level __briefing__/ folder.
RESERVED = "/__briefing__/"
PREVIEW_JS_PATH = RESERVED + "preview.js"
LIVERELOAD_JS_PATH = RESERVED + "livereload.js"
STATUS_PATH = RESERVED + "errors.json"
LOADED_PATH = RESERVED + "loaded"
#: The path of the livereload "reload" message that means "fetch the errors", not "reload the page".
ERRORS_MESSAGE_PATH = STATUS_PATH
#: The overlay's element id (tests and user styles can find it by this).
OVERLAY_ID = "briefing-preview-errors"

PREVIEW_JS = r"""/* briefing serve: live reload and build errors. Preview only; never part of the built site. */
(function () {
  "use strict";
  if (window.__briefingPreview) { return; }
  window.__briefingPreview = true;

  var OVERLAY_ID = "%(overlay_id)s";
  var STATUS = "%(status)s";
  var RESERVED = "%(reserved)s";
  var me = document.currentScript;
  var pageBuild = 0, pageSession = "";
  try {
    var params = new URL(me.src).searchParams;
    pageBuild = parseInt(params.get("build"), 10) || 0;
    pageSession = params.get("session") || "";
  } catch (e) { pageBuild = 0; }
  var reloading = false;

  function make(tag, styles, text) {
    var node = document.createElement(tag);
    if (styles) { Object.assign(node.style, styles); }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function hide() {
    var old = document.getElementById(OVERLAY_ID);
    if (old) { old.remove(); }
  }

  function show(status) {
    hide();
    var box = make("div", {
      position: "fixed", left: "0", right: "0", bottom: "0", zIndex: "2147483647",
      maxHeight: "50vh", overflow: "auto", boxSizing: "border-box", margin: "0",
      padding: "0.75rem 1rem 1rem", background: "#7f1d1d", color: "#ffffff",
      borderTop: "4px solid #fca5a5", boxShadow: "0 -4px 16px rgba(0,0,0,0.35)",
      font: "15px/1.45 system-ui, -apple-system, 'Segoe UI', sans-serif", textAlign: "left"
    });
    box.id = OVERLAY_ID;
    box.setAttribute("role", "alert");
    box.setAttribute("aria-labelledby", OVERLAY_ID + "-title");

    var head = make("div", {display: "flex", alignItems: "baseline", gap: "1rem", justifyContent: "space-between"});
    var title = make("h2", {margin: "0 0 0.25rem", font: "bold 17px/1.3 system-ui, sans-serif", color: "#ffffff"},
                     "The preview could not be rebuilt");
    title.id = OVERLAY_ID + "-title";
    var close = make("button", {
      font: "inherit", color: "#7f1d1d", background: "#ffffff", border: "2px solid #ffffff",
      borderRadius: "4px", padding: "0.1rem 0.6rem", cursor: "pointer", flex: "none"
    }, "Hide");
    close.type = "button";
    close.setAttribute("aria-label", "Hide the build errors");
    close.addEventListener("click", hide);
    head.appendChild(title);
    head.appendChild(close);
    box.appendChild(head);

    box.appendChild(make("p", {margin: "0 0 0.5rem", color: "#ffffff"},
      (status.message ? status.message + ". " : "") +
      "This page shows the last good build; fix the problem below and save to update it."));

    var list = make("ul", {margin: "0", padding: "0", listStyle: "none"});
    (status.errors || []).forEach(function (d) {
      var item = make("li", {margin: "0.25rem 0", padding: "0.35rem 0.5rem", background: "rgba(0,0,0,0.28)",
                             borderRadius: "3px", whiteSpace: "pre-wrap", overflowWrap: "anywhere"});
      item.appendChild(make("code", {font: "14px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace",
                                     color: "#ffffff", background: "transparent"}, d.text));
      list.appendChild(item);
    });
    box.appendChild(list);
    (document.body || document.documentElement).appendChild(box);
  }

  function refresh() {
    return fetch(STATUS, {cache: "no-store", credentials: "same-origin"})
      .then(function (response) { return response.json(); })
      .then(function (status) {
        if (!reloading && status.build && (status.build > pageBuild || status.session !== pageSession)) {
          reloading = true;          // a build finished while this page was on its way, or the server restarted
          location.reload();
          return;
        }
        if (status.errors && status.errors.length) { show(status); } else { hide(); }
      })
      .catch(function () { /* the server is gone or restarting: livereload reconnects */ });
  }

  // A livereload plugin: a "reload" of the errors path means "the build failed", not "reload the page".
  function BriefingPlugin() {}
  BriefingPlugin.identifier = "briefing";
  BriefingPlugin.version = "1.0";
  BriefingPlugin.prototype.reload = function (path) {
    if (typeof path === "string" && path.indexOf(RESERVED) === 0) { refresh(); return true; }
    reloading = true;
    return false;                  // anything else: livereload reloads the page
  };
  BriefingPlugin.prototype.analyze = function () { return {}; };
  window.LiveReloadPluginBriefing = BriefingPlugin;

  document.addEventListener("LiveReloadConnect", refresh);

  window.addEventListener("load", function () {
    var nav = performance.getEntriesByType ? performance.getEntriesByType("navigation")[0] : null;
    if (nav && nav.type === "reload" && pageBuild && navigator.sendBeacon) {
      navigator.sendBeacon("%(loaded)s?build=" + pageBuild + "&path=" + encodeURIComponent(location.pathname));
    }
  });

  var port = location.port || (location.protocol === "https:" ? "443" : "80");
  var client = document.createElement("script");
  client.src = "%(livereload)s?host=" + encodeURIComponent(location.hostname) + "&port=" + port +
               "&mindelay=250&maxdelay=2000";
  (document.head || document.documentElement).appendChild(client);
  refresh();
})();
""" % {
    "overlay_id": OVERLAY_ID,
    "status": STATUS_PATH,
    "reserved": RESERVED,
    "loaded": LOADED_PATH,
    "livereload": LIVERELOAD_JS_PATH,
}


def script_src(build: int, session: str) -> str:
    return f"{PREVIEW_JS_PATH}?build={int(build)}&amp;session={html.escape(session)}"


def script_tag(build: int, session: str) -> bytes:
    """The one element injected into every HTML response."""
    return f'<script src="{script_src(build, session)}" defer></script>'.encode()


def placeholder_page(title: str, message: str, build: int, session: str) -> bytes:
    """Served for every site path until a first build succeeds: it reloads itself when one does."""
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<title>{html.escape(title)}</title>\n"
        f'<script src="{script_src(build, session)}" defer></script>\n'
        "</head>\n<body>\n<main>\n"
        f"<h1>{html.escape(title)}</h1>\n<p>{html.escape(message)}</p>\n"
        "<p>This page reloads by itself as soon as the site builds.</p>\n"
        "</main>\n</body>\n</html>\n"
    ).encode()
