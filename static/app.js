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

// The menu button of narrow screens (app.css hides the links behind it below 600 px).
document.addEventListener("click", (event) => {
  const button = event.target instanceof Element && event.target.closest(".menu-toggle");
  if (!button) return;
  const open = button.getAttribute("aria-expanded") !== "true";
  button.setAttribute("aria-expanded", String(open));
  document.getElementById(button.getAttribute("aria-controls")).classList.toggle("open", open);
});

// Lists become cards on a narrow screen: each cell shows its column's header (app.css reads
// data-label), taken from the table's head so the templates write each header once.
function labelCells(root) {
  for (const table of root.querySelectorAll("table.list")) {
    const heads = [...table.querySelectorAll(":scope > thead th")].map((th) => th.textContent.trim());
    if (!heads.length) continue;
    for (const row of table.querySelectorAll(":scope > tbody > tr")) {
      let column = 0;
      for (const cell of row.children) {
        const label = heads[column];
        if (label && !cell.hasAttribute("data-label")) cell.setAttribute("data-label", label);
        column += cell.colSpan || 1;
      }
    }
  }
}
document.addEventListener("DOMContentLoaded", () => labelCells(document));
document.addEventListener("htmx:afterSettle", () => labelCells(document));

// Filters come folded (a phone shows the list first); app.css shows them on a desk, and a
// desk browser without ::details-content gets them opened here (the same 600 px as app.css).
document.addEventListener("DOMContentLoaded", () => {
  if (window.matchMedia("(max-width: 600px)").matches) return;
  for (const details of document.querySelectorAll("details[data-fold-narrow]")) details.open = true;
});
