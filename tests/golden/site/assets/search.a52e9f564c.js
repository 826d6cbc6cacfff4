/* briefing: the search page (templates/search.html), on Pagefind's index.
 *
 * The page's form is plain HTML (GET ?q=&kind=&leader=&topic=); this script
 * reads the same fields, searches as you type and lists the results, each
 * with its kind, its title, a line of context and an excerpt.
 *
 * - Pagefind's bundle (pagefind/pagefind.js, written into the site by
 *   generator/search.py) is imported from the address in data-bundle,
 *   relative to this page, never from another host. A large briefing's index
 *   is split into bundles; pagefind/briefing-index.json lists the others
 *   ("shards"), which are merged into the first (Pagefind's mergeIndex).
 * - Every URL in the index is a path from the site's root ('/leaders/x/',
 *   '/timeline/#event-y'); results link to it from data-site-root (the site's
 *   root relative to this page), so they are right at a domain root, under a
 *   sub-path and in `briefing serve` alike.
 * - An article result links to the paragraph that holds the first match
 *   (Pagefind's anchors: every element with an id, and where it begins).
 * - Keyboard: the down arrow moves from the search field into the results and
 *   through them, the up arrow back, Escape returns to the field.
 *
 * Pagefind runs WebAssembly: the search page's CSP allows 'wasm-unsafe-eval'
 * (and nothing else beyond the site's own policy).
 */
(function () {
  "use strict";

  var page = document.querySelector("[data-search]");
  if (!page) return;

  var form = page.querySelector("[data-search-form]");
  var input = page.querySelector("[data-search-input]");
  var selects = Array.prototype.slice.call(page.querySelectorAll("[data-search-filter]"));
  var status = page.querySelector("[data-search-status]");
  var list = page.querySelector("[data-search-results]");
  var more = page.querySelector("[data-search-more]");
  var problem = page.querySelector("[data-search-problem]");
  var siteRoot = page.getAttribute("data-site-root") || "./";
  var bundle = new URL(page.getAttribute("data-bundle") || "pagefind/", location.href);

  var PAGE_SIZE = 20;
  var DEBOUNCE_MS = 180;
  var loading = null;   // the promise of Pagefind, once asked for
  var generation = 0;   // the newest search; answers to older ones are dropped
  var results = [];     // Pagefind's results of the newest search
  var shown = 0;        // how many of them are in the list
  var timer = 0;

  // ------------------------------------------------------------------ the query string

  function readQuery() {
    var params = new URLSearchParams(location.search);
    input.value = params.get("q") || "";
    selects.forEach(function (select) {
      var value = params.get(select.name) || "";
      select.value = Array.prototype.some.call(select.options, function (o) { return o.value === value; }) ? value : "";
    });
  }

  function writeQuery() {
    var params = new URLSearchParams();
    if (input.value.trim()) params.set("q", input.value.trim());
    selects.forEach(function (select) { if (select.value) params.set(select.name, select.value); });
    var query = params.toString();
    history.replaceState(null, "", location.pathname + (query ? "?" + query : "") + location.hash);
  }

  function activeFilters() {
    var filters = {};
    selects.forEach(function (select) { if (select.value) filters[select.getAttribute("data-search-filter")] = select.value; });
    return filters;
  }

  // ------------------------------------------------------------------ Pagefind

  function pagefind() {
    if (!loading) {
      if (location.protocol === "file:") {
        loading = Promise.reject(new Error("file"));
      } else {
        loading = import(new URL("pagefind.js", bundle).href).then(function (pf) {
          return pf.options({
            basePath: bundle.pathname,
            baseUrl: "/",          // URLs stay paths from the site's root; link() rebases them
            excerptLength: 28
            // Pagefind's default ranking: tried against this site's mix of long articles and short
            // records, lower termFrequency or pageLength put the article above a leader's page, lower
            // termSaturation put events above it (docs/search.md). Weights and leaderFirst() decide.
          }).then(function () {
            return fetch(new URL("briefing-index.json", bundle).href).then(function (response) {
              return response.ok ? response.json() : {};
            });
          }).then(function (stamp) {
            // A large briefing's index comes in several bundles (generator/search.py): merge the rest.
            var shards = Array.isArray(stamp.shards) ? stamp.shards : [];
            return Promise.all(shards.filter(function (folder) { return /^shards\/\d+\/$/.test(folder); })
              .map(function (folder) { return pf.mergeIndex(new URL(folder, bundle).pathname, {baseUrl: "/"}); }));
          }).then(function () { return pf.init(); }).then(function () { return pf; });
        });
      }
      loading.catch(function () { /* run() shows it */ });
    }
    return loading;
  }

  function showProblem(error) {
    var text = problem.querySelector("[data-search-problem-text]");
    text.textContent = error && error.message === "file"
      ? "Search works when the site is served by a web server (or by briefing serve); it cannot run from files opened from disk."
      : "The search index could not be loaded, so search is not available right now.";
    problem.hidden = false;
    status.textContent = "";
    list.hidden = true;
    more.parentNode.hidden = true;
  }

  // ------------------------------------------------------------------ searching

  function schedule() {
    window.clearTimeout(timer);
    timer = window.setTimeout(run, DEBOUNCE_MS);
  }

  function run() {
    window.clearTimeout(timer);
    writeQuery();
    var term = input.value.trim();
    var filters = activeFilters();
    var mine = ++generation;
    if (!term && !Object.keys(filters).length) {
      results = [];
      shown = 0;
      list.replaceChildren();
      list.hidden = true;
      more.parentNode.hidden = true;
      status.textContent = "";
      return Promise.resolve();
    }
    var pf;
    return pagefind().then(function (loaded) {
      pf = loaded;
      return pf.search(term || null, {filters: filters});
    }).then(function (search) {
      if (mine !== generation) return;
      results = search ? search.results.slice() : [];
      return term ? leaderFirst(pf, term, filters) : null;
    }).then(function () {
      if (mine !== generation) return;
      shown = 0;
      list.replaceChildren();
      return showMore(mine, false).then(function () {
        if (mine === generation) status.textContent = describe(results.length, term, filters);
      });
    }).catch(function (error) {
      if (mine !== generation) return;
      if (error && /no language indexes/i.test(error.message)) {  // a briefing with nothing in it yet
        results = [];
        list.replaceChildren();
        list.hidden = true;
        more.parentNode.hidden = true;
        status.textContent = describe(0, term, filters);
        return;
      }
      showProblem(error);
    });
  }

  /* A leader's name or any other spelling of it, searched as it stands, puts the leader's page first.
     Weights on the name and the aliases usually do that already (see leader.html); this makes it
     sure, however much else mentions the name. The names come from the leader filter's options. */
  var leaderByName = {};
  selects.forEach(function (select) {
    if (select.getAttribute("data-search-filter") !== "leader") return;
    Array.prototype.forEach.call(select.options, function (option) {
      (option.getAttribute("data-names") || "").split("|").forEach(function (name) {
        if (normal(name)) leaderByName[normal(name)] = option.value;
      });
    });
  });

  function normal(text) {
    return String(text).normalize("NFKD").replace(/\p{M}+/gu, "").toLowerCase()
      .replace(/[^\p{L}\p{N}]+/gu, " ").trim();
  }

  function leaderFirst(pf, term, filters) {
    var id = leaderByName[normal(term)];
    if (!id || (filters.kind && filters.kind !== "leader") || (filters.leader && filters.leader !== id)) {
      return Promise.resolve();
    }
    return pf.search(term, {filters: {kind: "leader", leader: id}}).then(function (own) {
      var page = own && own.results[0];
      var at = page ? results.findIndex(function (r) { return r.id === page.id; }) : -1;
      if (at > 0) results.unshift(results.splice(at, 1)[0]);
    });
  }

  function describe(count, term, filters) {
    var what = term ? " for “" + term + "”" : "";
    var narrowed = Object.keys(filters).length ? (term ? ", with the filters chosen" : " with the filters chosen") : "";
    if (!count) return "No results" + what + narrowed + ". Try fewer or other words" + (narrowed ? ", or fewer filters." : ".");
    return count + " result" + (count === 1 ? "" : "s") + what + narrowed + ".";
  }

  function showMore(mine, focusFirst) {
    var batch = results.slice(shown, shown + PAGE_SIZE);
    return Promise.all(batch.map(function (r) { return r.data(); })).then(function (data) {
      if (mine !== generation) return;
      var first = null;
      data.forEach(function (d) {
        var item = render(d);
        list.appendChild(item);
        if (!first) first = item.querySelector("a");
      });
      shown += batch.length;
      list.hidden = shown === 0;
      more.parentNode.hidden = shown >= results.length;
      if (focusFirst && first) first.focus();
    });
  }

  // ------------------------------------------------------------------ results

  function link(url) {
    var path = String(url || "").replace(/^[a-z]+:\/\/[^/]*/i, "").replace(/^\/+/, "");
    var cut = path.indexOf("#");
    var hash = cut < 0 ? "" : path.slice(cut);
    path = cut < 0 ? path : path.slice(0, cut);
    return siteRoot + path + hash || "./";
  }

  /* The paragraph that holds the best of an article's matches. Pagefind gives the elements with an
     id and the word where each begins (anchors), and the matching words with a score, highest for a
     whole and rare word (weighted locations). A paragraph ('p1', 'p2'…) scores the squares of its
     distinct words' scores: the one with most of the words searched, whole, wins over a long one
     where a short last word ('a') only begins many others ('agreed', 'against'). */
  function paragraphOf(d) {
    var paragraphs = (d.anchors || []).filter(function (a) { return /^p\d+$/.test(a.id); })
      .sort(function (a, b) { return a.location - b.location; });
    if (!paragraphs.length) return null;
    var text = String(d.content || "").split(/\s+/);
    var words = d.weighted_locations && d.weighted_locations.length ? d.weighted_locations
      : (d.locations || []).map(function (l) { return {location: l, balanced_score: 1}; });
    var seen = {}, scores = {}, best = null;
    words.forEach(function (w) {
      var found = null;
      for (var i = 0; i < paragraphs.length && paragraphs[i].location <= w.location; i++) found = paragraphs[i];
      if (!found) return;
      var word = (text[w.location] || String(w.location)).toLowerCase().replace(/[^\p{L}\p{N}]+/gu, "");
      var key = found.id + " " + word;
      if (seen[key]) return;
      seen[key] = true;
      var score = w.balanced_score || 1;
      scores[found.id] = (scores[found.id] || 0) + score * score;
      if (!best || scores[found.id] > scores[best.id] ||
          (scores[found.id] === scores[best.id] && found.location < best.location)) best = found;
    });
    return best ? best.id : null;
  }

  function target(d) {
    var url = d.url;
    if (d.meta && d.meta.kind === "Article" && url.indexOf("#") < 0) {
      var id = paragraphOf(d);
      if (id) url += "#" + id;
    }
    return link(url);
  }

  /* Pagefind's excerpt is text with <mark> around the matches: keep exactly that, as DOM nodes. */
  function excerpt(html) {
    var holder = document.createElement("template");
    holder.innerHTML = html || "";
    var out = document.createDocumentFragment();
    holder.content.childNodes.forEach(function (node) {
      if (node.nodeName === "MARK") {
        var mark = document.createElement("mark");
        mark.textContent = node.textContent;
        out.appendChild(mark);
      } else {
        out.appendChild(document.createTextNode(node.textContent));
      }
    });
    return out;
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  function render(d) {
    var meta = d.meta || {};
    var kind = meta.kind || "Page";
    var item = element("li", "result result-" + kind.toLowerCase());
    var line = element("p", "result-meta");
    line.appendChild(element("span", "result-kind", kind));
    if (meta.context) line.appendChild(element("span", "result-context", meta.context));
    var heading = element("h2", "result-title");
    var a = element("a", null, meta.title || d.url);
    a.href = target(d);
    heading.appendChild(a);
    item.appendChild(line);
    item.appendChild(heading);
    // An event's or a quote's title is all of it: an excerpt would only repeat it.
    if (d.excerpt && kind !== "Quote" && kind !== "Event") {
      var p = element("p", "result-excerpt");
      var plain = String(d.plain_excerpt || "").trim();
      var content = String(d.content || "").trim();
      var cut = plain && content.indexOf(plain) < 0 ? -1 : content.indexOf(plain);
      if (cut !== 0) p.appendChild(document.createTextNode("… "));
      p.appendChild(excerpt(d.excerpt));
      if (cut < 0 || cut + plain.length < content.length) p.appendChild(document.createTextNode(" …"));
      item.appendChild(p);
    }
    return item;
  }

  // ------------------------------------------------------------------ keyboard

  function links() {
    return Array.prototype.slice.call(list.querySelectorAll(".result-title a"));
  }

  input.addEventListener("keydown", function (event) {
    if (event.key === "ArrowDown" && !list.hidden) {
      var all = links();
      if (all.length) {
        event.preventDefault();
        all[0].focus();
      }
    }
  });

  list.addEventListener("keydown", function (event) {
    var all = links();
    var at = all.indexOf(document.activeElement);
    if (at < 0) return;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      var next = at + (event.key === "ArrowDown" ? 1 : -1);
      if (next < 0) input.focus();
      else if (next < all.length) all[next].focus();
      else if (!more.parentNode.hidden) more.focus();
    } else if (event.key === "Home" || event.key === "End") {
      event.preventDefault();
      all[event.key === "Home" ? 0 : all.length - 1].focus();
    } else if (event.key === "Escape") {
      event.preventDefault();
      input.focus();
    }
  });

  // ------------------------------------------------------------------ wiring

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    run();
  });
  input.addEventListener("input", schedule);
  input.addEventListener("focus", function () { pagefind().catch(showProblem); }, {once: true});
  selects.forEach(function (select) { select.addEventListener("change", run); });
  more.addEventListener("click", function () { showMore(generation, true); });
  window.addEventListener("popstate", function () { readQuery(); run(); });

  readQuery();
  var header = document.getElementById("site-search-q");
  if (header) header.value = input.value;
  if (input.value.trim() || Object.keys(activeFilters()).length) {
    run();
  } else {
    pagefind().catch(showProblem);  // load it now, and say at once if it cannot be
  }
  // A search from another page's box lands here with ?q=: the field keeps it, ready to refine.
  if (!input.value) input.focus();
}());
