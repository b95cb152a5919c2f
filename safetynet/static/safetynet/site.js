// Small behaviours without inline scripts (the CSP forbids them).
document.addEventListener("htmx:configRequest", function (event) {
  var token = document.querySelector('meta[name="csrf-token"]');
  if (token) { event.detail.headers["X-CSRFToken"] = token.content; }
});
document.addEventListener("change", function (event) {
  var el = event.target;
  if (el.matches("[data-autosubmit]")) { el.form.submit(); }
});
// A form refused for its input (422) or for the case's state (409) answers with the same section,
// errors beside the fields: swap it in like a success (htmx 2 leaves 4xx answers unswapped).
document.addEventListener("htmx:beforeSwap", function (event) {
  var status = event.detail.xhr.status;
  if (status === 422 || status === 409) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
