/* The grid report page: the form, the photo shrunk on the phone, the position, the households to
   choose from (kept on the phone for offline use), and the list of this phone's reports with
   their state. Every word shown comes from the page (#report-config), in its language. */
(function () {
  "use strict";
  var Q = window.ReportQueue;
  var config = JSON.parse(document.getElementById("report-config").textContent);
  var W = config.words;
  var $ = function (id) { return document.getElementById(id); };
  var form = $("report");
  var photoBlob = null, position = null, chosen = null, searchTimer = null;
  var HOUSEHOLD_PAGES = 4, PAGE_SIZE = 500, PHOTO_SIDE = 640;

  function fill(text, values) {
    return String(text).replace(/%\((\w+)\)s/g, function (_, k) { return values[k] === undefined ? "" : values[k]; });
  }
  function csrf() {
    var m = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }
  function sendConfig() { return { api: config.api, csrf: csrf(), user: config.user }; }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function message(text, bad) {
    var m = $("form-msg");
    m.textContent = text; m.hidden = !text; m.className = bad ? "msg bad" : "msg";
    if (text) m.scrollIntoView({ block: "center" });
  }

  /* ---- network state ---- */
  function showNetwork() {
    var on = navigator.onLine;
    $("net").textContent = on ? W.online : W.offline;
    $("net").className = on ? "net" : "net off";
  }

  /* ---- the list of reports ---- */
  function render() {
    return Q.all(Q.STORE).then(function (items) {
      items = items.filter(function (i) { return i.user === config.user; })
        .sort(function (a, b) { return b.created - a.created; });
      var list = $("queue");
      list.textContent = "";
      if (!items.length) list.appendChild(el("li", "", W.nothingQueued));
      items.forEach(function (item) {
        var li = el("li"), box = el("div");
        li.dataset.state = item.state; li.dataset.key = item.key;
        var state = { waiting: W.waiting, sending: W.sending, sent: W.sent, refused: W.refused }[item.state];
        if (item.state === "sent" && item.lead) state += " · " + fill(item.joined ? W.joined : W.lead, { number: item.lead });
        box.appendChild(el("span", "state", state));
        box.appendChild(el("small", "", item.label));
        if (item.error === "login") box.appendChild(el("small", "", W.loginAgain));
        else if (item.error === "server") box.appendChild(el("small", "", W.serverBusy));
        else if (item.error) box.appendChild(el("small", "", item.error));
        if (item.photoRefused) box.appendChild(el("small", "", fill(W.photoRefused, { reason: item.photoRefused })));
        li.appendChild(box);
        if (item.state === "refused" || item.state === "sent") {
          var drop = el("button", "small", W.remove);
          drop.type = "button";
          drop.addEventListener("click", function () { Q.remove(Q.STORE, item.key).then(render); });
          li.appendChild(drop);
        }
        list.appendChild(li);
      });
    });
  }

  var retryTimer = null, retryDelay = 5000;

  /* Send what waits; after a server error, try again a little later while the page is open. */
  function sendNow() {
    clearTimeout(retryTimer);
    if (!navigator.onLine) return render();
    return Q.sendAll(sendConfig(), render).then(function () {
      return Q.all(Q.STORE).then(function (items) {
        var again = items.some(function (i) { return i.state === "waiting" && i.error === "server"; });
        if (again) { retryTimer = setTimeout(sendNow, retryDelay); retryDelay = Math.min(retryDelay * 2, 120000); }
        else retryDelay = 5000;
      });
    }).then(render, render);
  }

  /* ---- who ---- */
  function whoChanged() {
    var isNew = form.who.value === "new";
    $("who-new").hidden = !isNew;
    $("who-household").hidden = isNew;
  }

  function choose(h) {
    chosen = h;
    $("household").value = h ? h.id : "";
    $("hh-chosen").hidden = !h;
    $("hh-chosen").textContent = h ? h.head_name + " · " + h.address + " · " + h.area_name : "";
    $("hh-results").textContent = "";
  }

  function showHouseholds(rows, note) {
    var list = $("hh-results");
    list.textContent = "";
    $("hh-note").textContent = note || (rows.length ? "" : W.noHouseholds);
    rows.slice(0, 20).forEach(function (h) {
      var li = el("li"), b = el("button", "", h.head_name + " · " + h.address);
      b.type = "button"; b.dataset.household = h.id;
      b.appendChild(el("small", "", h.area_name + " · " + fill(W.members, { n: h.members })));
      b.addEventListener("click", function () { choose(h); });
      li.appendChild(b); list.appendChild(li);
    });
  }

  function searchKept(q) {
    return Q.all(Q.HOUSEHOLDS).then(function (rows) {
      q = q.trim();
      var hits = rows.filter(function (h) {
        return !q || h.address.indexOf(q) >= 0 || h.area_name.indexOf(q) >= 0 || h.head_name.indexOf(q.charAt(0)) === 0;
      });
      showHouseholds(hits, W.offlineSearch + (hits.length ? "" : " " + W.noHouseholds));
    });
  }

  function search() {
    var q = $("q").value.trim();
    if (!navigator.onLine) return searchKept(q);
    fetch(config.households + "?limit=20&q=" + encodeURIComponent(q), { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw r; return r.json(); })
      .then(function (page) {
        if (page.items.length || !q) return showHouseholds(page.items);
        return searchKept(q);                         /* a part of the address: the kept list knows it */
      })
      .catch(function () { searchKept(q); });
  }

  /* The post's households, kept on the phone (masked names) for choosing offline. */
  function keepHouseholds() {
    if (!navigator.onLine) return Promise.resolve();
    var rows = [];
    function page(n) {
      return fetch(config.households + "?limit=" + PAGE_SIZE + "&offset=" + n * PAGE_SIZE, { credentials: "same-origin" })
        .then(function (r) { if (!r.ok) throw r; return r.json(); })
        .then(function (data) {
          rows = rows.concat(data.items);
          if (data.offset + data.items.length < data.count && n + 1 < HOUSEHOLD_PAGES) return page(n + 1);
          return null;
        });
    }
    return page(0).then(function () {
      return Q.clear(Q.HOUSEHOLDS).then(function () {
        return rows.reduce(function (c, h) { return c.then(function () { return Q.put(Q.HOUSEHOLDS, h); }); }, Promise.resolve());
      });
    }).then(function () { $("hh-note").textContent = fill(W.householdsKept, { n: rows.length }); }, function () {});
  }

  /* ---- photo: shrunk to at most 640 px, JPEG, before it is queued ---- */
  /* The page's security policy allows images from itself and data: URLs only (no blob:), so the
     photo is decoded with createImageBitmap, or read as a data: URL where that is missing. */
  function decode(file) {
    if (window.createImageBitmap) return createImageBitmap(file);
    return dataUrl(file).then(function (url) {
      return new Promise(function (resolve, reject) {
        var img = new Image();
        img.onload = function () { resolve(img); };
        img.onerror = reject;
        img.src = url;
      });
    });
  }

  function dataUrl(blob) {
    return new Promise(function (resolve, reject) {
      var reader = new FileReader();
      reader.onload = function () { resolve(reader.result); };
      reader.onerror = reject;
      reader.readAsDataURL(blob);
    });
  }

  function shrink(file) {
    return decode(file).then(function (img) {
      var w = img.naturalWidth || img.width, h = img.naturalHeight || img.height;
      var scale = Math.min(1, PHOTO_SIDE / Math.max(w, h));
      var canvas = document.createElement("canvas");
      canvas.width = Math.max(1, Math.round(w * scale));
      canvas.height = Math.max(1, Math.round(h * scale));
      canvas.getContext("2d").drawImage(img, 0, 0, canvas.width, canvas.height);
      if (img.close) img.close();
      return new Promise(function (resolve, reject) {
        canvas.toBlob(function (blob) { blob ? resolve(blob) : reject(); }, "image/jpeg", 0.7);
      });
    });
  }

  function photoChanged() {
    var file = $("photo").files[0];
    photoBlob = null; $("photo-preview").hidden = true;
    if (!file) return;
    shrink(file).then(function (blob) {
      photoBlob = blob;
      $("photo-note").textContent = fill(W.photoReady, { kb: Math.ceil(blob.size / 1024) });
      return dataUrl(blob).then(function (url) { $("photo-preview").src = url; $("photo-preview").hidden = false; });
    }).catch(function () { $("photo-note").textContent = W.photoFailed; });
  }

  function locate() {
    if (!navigator.geolocation) { $("gps-note").textContent = W.positionFailed; return; }
    navigator.geolocation.getCurrentPosition(function (p) {
      position = { latitude: p.coords.latitude.toFixed(6), longitude: p.coords.longitude.toFixed(6) };
      $("gps-note").textContent = fill(W.positionTaken, { lat: position.latitude, lon: position.longitude,
                                                          acc: Math.round(p.coords.accuracy) });
    }, function () { $("gps-note").textContent = W.positionFailed; }, { enableHighAccuracy: true, timeout: 15000 });
  }

  /* ---- saving a report ---- */
  function fields() {
    var isNew = form.who.value === "new";
    var f = { cause: form.cause.value, urgency: form.urgency.value, note: $("note").value.trim(),
              written_at: new Date().toISOString() };
    if (isNew) {
      f.name = $("name").value.trim(); f.approximate_age = $("approximate_age").value.trim();
      f.area = $("area").value; f.address = $("address").value.trim();
    } else {
      f.household = $("household").value;
    }
    if (position) { f.latitude = position.latitude; f.longitude = position.longitude; }
    return f;
  }

  function problem(f) {
    if (!f.household && !f.name) return W.needWho;
    if (!f.household && !f.area) return W.needArea;
    if (!f.household && !f.address) return W.needAddress;
    if (!f.cause) return W.needCause;
    return "";
  }

  function causeLabel() {
    var cause = form.querySelector("input[name=cause]:checked");
    return cause ? cause.parentNode.textContent.trim() : "";
  }

  function label(f) {
    var who = f.household ? (chosen ? chosen.head_name + " · " + chosen.address : fill(W.unknownHousehold, { id: f.household }))
                          : fill(W.newPerson, { name: f.name });
    return who + " · " + causeLabel();
  }

  function save(event) {
    event.preventDefault();
    var f = fields(), bad = problem(f);
    if (bad) return message(bad, true);
    var item = { key: Q.newKey(), user: config.user, fields: f, photo: photoBlob, label: label(f), causeLabel: causeLabel(),
                 state: "waiting",
                 created: Date.now(), error: "" };
    Q.put(Q.STORE, item).then(function () {
      form.reset(); choose(null); whoChanged(); photoBlob = null; position = null;
      $("photo-preview").hidden = true; $("photo-note").textContent = ""; $("gps-note").textContent = "";
      message(W.saved, false);
      return render();
    }).then(function () {
      if ("serviceWorker" in navigator && "SyncManager" in window) {
        navigator.serviceWorker.ready.then(function (reg) { return reg.sync.register("send-reports"); }).catch(function () {});
      }
      return sendNow();
    });
  }

  /* ---- start ---- */
  form.addEventListener("submit", save);
  Array.prototype.forEach.call(form.who, function (r) { r.addEventListener("change", whoChanged); });
  $("q").addEventListener("input", function () { clearTimeout(searchTimer); searchTimer = setTimeout(search, 250); });
  $("photo").addEventListener("change", photoChanged);
  $("gps").addEventListener("click", locate);
  $("send-now").addEventListener("click", sendNow);
  window.addEventListener("online", function () { showNetwork(); sendNow(); keepHouseholds(); });
  window.addEventListener("offline", showNetwork);
  showNetwork(); whoChanged();
  /* The service worker sends with the token kept here when the page is closed (Background Sync). */
  Q.put(Q.META, sendConfig(), "config").catch(function () {});
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(config.worker, { scope: config.scope }).catch(function () {});
    navigator.serviceWorker.addEventListener("message", function (e) {
      if (e.data && e.data.type === "reports-changed") render();
      if (e.data && e.data.type === "send-reports") sendNow();
    });
  }
  render().then(sendNow);
  keepHouseholds();
})();
