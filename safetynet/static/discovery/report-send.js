/* The report queue, shared by the page (report.js) and its service worker (Background Sync):
   reports wait in IndexedDB, each with the key made when it was written, and go to the API
   once there is a network. A retry after a lost answer sends the same key: the server answers
   the report it already has (200) and opens no second lead. */
(function (root) {
  "use strict";
  var DB = "sn-report", STORE = "queue", HOUSEHOLDS = "households", META = "meta";
  var KEEP_SENT = 20;
  var busy = null;

  function open() {
    return new Promise(function (resolve, reject) {
      var req = indexedDB.open(DB, 1);
      req.onupgradeneeded = function () {
        var db = req.result;
        db.createObjectStore(STORE, { keyPath: "key" });
        db.createObjectStore(HOUSEHOLDS, { keyPath: "id" });
        db.createObjectStore(META);
      };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }

  function tx(store, mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(store, mode), result;
        var s = t.objectStore(store);
        var r = work(s);
        if (r) r.onsuccess = function () { result = r.result; };
        t.oncomplete = function () { db.close(); resolve(result); };
        t.onerror = t.onabort = function () { db.close(); reject(t.error); };
      });
    });
  }

  function all(store) { return tx(store, "readonly", function (s) { return s.getAll(); }); }
  function put(store, value, key) { return tx(store, "readwrite", function (s) { return key === undefined ? s.put(value) : s.put(value, key); }); }
  function get(store, key) { return tx(store, "readonly", function (s) { return s.get(key); }); }
  function remove(store, key) { return tx(store, "readwrite", function (s) { return s.delete(key); }); }
  function clear(store) { return tx(store, "readwrite", function (s) { return s.clear(); }); }

  function newKey() {
    if (root.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function body(item) {
    var form = new FormData();
    form.append("key", item.key);
    Object.keys(item.fields).forEach(function (name) {
      var v = item.fields[name];
      if (v !== "" && v !== null && v !== undefined) form.append(name, v);
    });
    if (item.photo) form.append("photo", item.photo, "photo.jpg");
    return form;
  }

  /* Send one report; its new state is stored and returned. */
  function sendOne(item, config) {
    item.state = "sending"; item.error = "";
    return put(STORE, item).then(function () {
      return fetch(config.api, { method: "POST", body: body(item), credentials: "same-origin",
                                 headers: { "X-CSRFToken": config.csrf || "", "Accept": "application/json" } });
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (response.status === 200 || response.status === 201) {
          item.state = "sent";
          item.lead = data.lead ? data.lead.number : "";
          item.joined = !!(data.lead && data.lead.joined);
          item.photoRefused = data.photo_refused || "";
          item.sentAt = Date.now();
          /* sent: the office has it; the phone keeps what happened and the lead's number, not who */
          item.fields = {}; item.photo = null; item.label = item.causeLabel || "";
        } else if (response.status === 401 || response.status === 403) {
          item.state = "waiting"; item.error = "login";
        } else if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429) {
          item.state = "refused";
          item.error = (data.field ? data.field + ": " : "") + (data.message || response.status);
        } else {
          item.state = "waiting"; item.error = "server";
        }
        return put(STORE, item).then(function () { return item; });
      });
    }, function () {
      item.state = "waiting"; item.error = "";
      return put(STORE, item).then(function () { return item; });
    });
  }

  function trimSent() {
    return all(STORE).then(function (items) {
      var sent = items.filter(function (i) { return i.state === "sent"; })
        .sort(function (a, b) { return b.sentAt - a.sentAt; });
      return Promise.all(sent.slice(KEEP_SENT).map(function (i) { return remove(STORE, i.key); }));
    });
  }

  /* Send every report waiting, one after another; one run at a time per page or worker. */
  function sendAll(config, onChange) {
    if (busy) return busy;
    busy = all(STORE).then(function (items) {
      var waiting = items.filter(function (i) { return i.state === "waiting" || i.state === "sending"; })
        .sort(function (a, b) { return a.created - b.created; });
      return waiting.reduce(function (chain, item) {
        return chain.then(function (stop) {
          if (stop) return true;
          if (onChange) onChange();
          return sendOne(item, config).then(function (done) {
            if (onChange) onChange();
            return done.state === "waiting";       /* no network or no login: the rest waits too */
          });
        });
      }, Promise.resolve(false));
    }).then(trimSent).then(function () { busy = null; }, function (e) { busy = null; throw e; });
    return busy;
  }

  root.ReportQueue = { open: open, all: all, put: put, get: get, remove: remove, clear: clear, newKey: newKey,
                       sendAll: sendAll, STORE: STORE, HOUSEHOLDS: HOUSEHOLDS, META: META };
})(self);
