/* briefing: progressive enhancement. Every page is complete without this file.
 *
 * 1. Opened from disk (file:), a link to a directory ('../timeline/') shows a
 *    directory listing, not the page: rewrite internal links (and the search
 *    form's action) that end in '/' to end in '/index.html'.
 * 2. The timeline: filter the list of events by leader and by topic.
 * 3. The timeline overview: a click on a point goes to its event in the list.
 *
 * Loaded with <script defer> from a file of the site (the CSP forbids inline scripts).
 */
(function () {
  "use strict";

  function fileLinks() {
    if (location.protocol !== "file:") return;
    var links = document.querySelectorAll("a[href]");
    for (var i = 0; i < links.length; i++) {
      var href = links[i].getAttribute("href");
      // Internal links only: no scheme (http:, mailto:, …), not protocol-relative, not a bare fragment.
      if (!href || /^[a-z][a-z0-9+.-]*:/i.test(href) || href.charAt(0) === "#" || href.slice(0, 2) === "//") continue;
      var cut = href.search(/[?#]/);
      var path = cut < 0 ? href : href.slice(0, cut);
      var rest = cut < 0 ? "" : href.slice(cut);
      if (path === "" ) continue;
      if (path === "." || path === "..") path += "/";
      if (path.charAt(path.length - 1) === "/") {
        links[i].setAttribute("href", path + "index.html" + rest);
      }
    }
    // The search box in the header: a GET form to '../search/'.
    var forms = document.querySelectorAll("form[action]");
    for (var j = 0; j < forms.length; j++) {
      var action = forms[j].getAttribute("action");
      if (action && !/^[a-z][a-z0-9+.-]*:/i.test(action) && action.charAt(action.length - 1) === "/") {
        forms[j].setAttribute("action", action + "index.html");
      }
    }
  }

  function words(value) {
    return value ? value.split(/\s+/) : [];
  }

  function timelineFilters() {
    var form = document.querySelector("form[data-filters]");
    var timeline = document.querySelector("[data-timeline]");
    if (!form || !timeline) return;
    var leader = form.querySelector('[data-filter="leaders"]');
    var topic = form.querySelector('[data-filter="topics"]');
    var status = form.querySelector("[data-filter-status]");
    var items = timeline.querySelectorAll(".event");
    var groups = timeline.querySelectorAll("[data-group]");

    function apply() {
      var who = leader.value, what = topic.value, shown = 0, total = 0;
      for (var i = 0; i < items.length; i++) {
        var item = items[i];
        var ok = (!who || words(item.getAttribute("data-leaders")).indexOf(who) >= 0) &&
                 (!what || words(item.getAttribute("data-topics")).indexOf(what) >= 0);
        item.hidden = !ok;
        if (!item.classList.contains("event-end")) {
          total += 1;
          if (ok) shown += 1;
        }
      }
      // Hide a month or a year with nothing left in it; innermost groups first.
      for (var j = groups.length - 1; j >= 0; j--) {
        groups[j].hidden = !groups[j].querySelector(".event:not([hidden])");
      }
      status.textContent = (who || what)
        ? "Showing " + shown + " of " + total + " events."
        : "";
    }

    form.addEventListener("change", apply);
    form.addEventListener("reset", function () { window.setTimeout(apply, 0); });
    form.addEventListener("submit", function (event) { event.preventDefault(); });
    form.hidden = false;
  }

  function overviewLinks() {
    var points = document.querySelectorAll(".overview-svg [data-events]");
    for (var i = 0; i < points.length; i++) {
      var first = words(points[i].getAttribute("data-events"))[0];
      var target = first && document.getElementById("event-" + first);
      if (!target) continue;
      points[i].setAttribute("data-target", "event-" + first);
      points[i].addEventListener("click", function () {
        var to = document.getElementById(this.getAttribute("data-target"));
        if (to) {
          to.scrollIntoView({block: "start"});
          history.replaceState(null, "", "#" + to.id);
        }
      });
    }
  }

  fileLinks();
  timelineFilters();
  overviewLinks();
}());
