/* The grid report's service worker (served by discovery/report_views.py, which puts VERSION,
   SHELL and PAGE above this and loads report-send.js). It keeps the page shell so the page opens
   without a network, never an API answer; it sends waiting reports on Background Sync. */
var CACHE = "sn-report-" + VERSION;

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) { return cache.addAll(SHELL); })
    .then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n.indexOf("sn-report-") === 0 && n !== CACHE; })
      .map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname === PAGE) {
    /* The page: the network's newest when there is one (kept for next time), else the kept one. */
    event.respondWith(fetch(request).then(function (response) {
      if (response.ok && !response.redirected) {
        var copy = response.clone();
        caches.open(CACHE).then(function (cache) { cache.put(PAGE, copy); });
      }
      return response;
    }).catch(function () {
      return caches.open(CACHE).then(function (cache) { return cache.match(PAGE); });
    }));
  } else if (SHELL.indexOf(url.pathname) >= 0) {
    event.respondWith(caches.open(CACHE).then(function (cache) {
      return cache.match(url.pathname).then(function (hit) { return hit || fetch(request); });
    }));
  }
});

function tellPages() {
  return self.clients.matchAll({ type: "window" }).then(function (pages) {
    pages.forEach(function (p) { p.postMessage({ type: "reports-changed" }); });
  });
}

self.addEventListener("sync", function (event) {
  if (event.tag !== "send-reports") return;
  /* An open page sends itself (one sender at a time); with none open, the worker sends. */
  event.waitUntil(self.clients.matchAll({ type: "window" }).then(function (pages) {
    if (pages.length) {
      pages.forEach(function (p) { p.postMessage({ type: "send-reports" }); });
      return null;
    }
    return ReportQueue.get(ReportQueue.META, "config").then(function (config) {
      return config ? ReportQueue.sendAll(config, tellPages) : null;
    });
  }));
});
