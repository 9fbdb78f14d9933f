// modelreg web UI: small progressive enhancements. Every page works without this file.
"use strict";

// Search as you type: a form with data-live="#results" refreshes that element
// from the same page fetched with the form's current values.
function liveSearch(form) {
  const target = document.querySelector(form.dataset.live);
  if (!target) return;
  let timer = null;
  let latest = 0;
  const refresh = async () => {
    const query = new URLSearchParams(new FormData(form)).toString();
    const url = form.action + "?" + query;
    const ticket = ++latest;
    const response = await fetch(url, { headers: { Accept: "text/html" }, credentials: "same-origin" });
    if (ticket !== latest) return; // a newer keystroke already asked again
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    const fresh = page.querySelector(form.dataset.live);
    if (fresh) {
      target.replaceChildren(...fresh.childNodes);
    } else {
      const problem = page.querySelector(".error");
      target.replaceChildren(problem ? problem : document.createTextNode("Search failed."));
    }
    history.replaceState(null, "", url);
  };
  form.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(refresh, 200);
  });
}

// Forms with data-confirm ask before they are sent.
function confirmBeforeSubmit(form) {
  form.addEventListener("submit", (event) => {
    if (!window.confirm(form.dataset.confirm)) event.preventDefault();
  });
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("form[data-live]").forEach(liveSearch);
  document.querySelectorAll("form[data-confirm]").forEach(confirmBeforeSubmit);
});
