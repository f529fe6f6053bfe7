// Server pages: when an htmx request fails (the server busy, its storage full, a fault, no
// network) htmx swaps nothing, so say so beside the content and keep what was typed.
document.addEventListener("htmx:responseError", (event) => {
  const status = event.detail.xhr ? event.detail.xhr.status : 0;
  const key = status === 503 ? "busy" : "failed";
  showProblem(document.body.dataset[`${key}Message`]);
});
document.addEventListener("htmx:sendError", () => {
  showProblem(document.body.dataset.offlineMessage);
});

function showProblem(text) {
  if (!text) return;
  let box = document.getElementById("request-problem");
  if (!box) {
    box = document.createElement("p");
    box.id = "request-problem";
    box.className = "flash error";
    box.setAttribute("role", "alert");
    document.getElementById("main").prepend(box);
  }
  box.textContent = text;
}

// A select that applies itself (retention filters): no inline onchange, which the
// Content-Security-Policy refuses.
document.addEventListener("change", (event) => {
  const field = event.target;
  if (field instanceof HTMLSelectElement && field.hasAttribute("data-autosubmit") && field.form) {
    field.form.submit();
  }
});
