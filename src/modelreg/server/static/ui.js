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

// MLflow's links ("View run … at: http://host/#/experiments/1/runs/<id>", printed by every
// MLflow run) and MLflow UI bookmarks open the same page here: "/" keeps the fragment
// through its redirect. Each pattern is anchored and has no nested repetition.
const MLFLOW_PAGES = [
  [/^#\/experiments\/(\d+)\/runs\/([A-Za-z0-9_-]+)(?:[/?]|$)/, (m) => `/ui/runs/${m[2]}`],
  [/^#\/experiments\/(\d+)\/models\/(m-[0-9a-f]{32})(?:[/?]|$)/, (m) => `/ui/logged-models/${m[2]}`],
  [/^#\/experiments\/(\d+)(?:[/?]|$)/, (m) => `/ui/experiments/${m[1]}`],
  [/^#\/models\/([^/?]+)\/versions\/(\d+)(?:[/?]|$)/, (m) => `/ui/models/${m[1]}/versions/${m[2]}`],
  [/^#\/models\/([^/?]+)(?:[/?]|$)/, (m) => `/ui/models/${m[1]}`],
];

function followMlflowLink() {
  // The path a proxy publishes the server under (modelreg server --root-path), or "".
  const root = document.querySelector('meta[name="modelreg-root"]')?.content ?? "";
  for (const [pattern, page] of MLFLOW_PAGES) {
    const match = window.location.hash.match(pattern);
    if (match) {
      window.location.replace(root + page(match));
      return;
    }
  }
}

followMlflowLink();

// An image series (figure[data-steps]) gets a slider that shows its image at each step;
// without this file the page shows the latest step's image.
function imageSeries(figure) {
  const slider = figure.querySelector("input[type=range]");
  if (!slider) return;
  const steps = JSON.parse(figure.dataset.steps);
  const { base, key } = figure.dataset;
  const image = figure.querySelector("img");
  const link = image.closest("a");
  const shown = figure.querySelector("output");
  slider.classList.remove("hidden");
  slider.addEventListener("input", () => {
    const at = steps[Number(slider.value)];
    image.src = `${base}/files/${at.thumbnail}?inline=1`;
    image.alt = `${key} at step ${at.step}`;
    link.href = `${base}/preview/${at.path}`;
    shown.textContent = at.step;
  });
}

// A row comparing runs' image series (tr[data-steps]) gets a slider: each run's cell
// shows that run's image at the chosen step, or at its last step before it.
function imageComparison(row) {
  const slider = row.querySelector("input[type=range]");
  if (!slider) return;
  const steps = JSON.parse(row.dataset.steps);
  const shown = row.querySelector("output");
  slider.classList.remove("hidden");
  slider.addEventListener("input", () => {
    const step = steps[Number(slider.value)];
    shown.textContent = step;
    row.querySelectorAll("td[data-images]").forEach((cell) => showImageAt(cell, row.dataset.key, step));
  });
}

function showImageAt(cell, key, step) {
  const earlier = JSON.parse(cell.dataset.images).filter((image) => image.step <= step);
  const at = earlier[earlier.length - 1];
  if (!at) {
    const none = document.createElement("span");
    none.className = "muted";
    none.textContent = "—";
    cell.replaceChildren(none);
    return;
  }
  const link = document.createElement("a");
  link.href = `${cell.dataset.base}/preview/${at.path}`;
  const image = document.createElement("img");
  image.src = `${cell.dataset.base}/files/${at.thumbnail}?inline=1`;
  image.alt = `${key} of ${cell.dataset.run} at step ${at.step}`;
  link.append(image);
  cell.replaceChildren(link);
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("figure[data-steps]").forEach(imageSeries);
  document.querySelectorAll("tr[data-steps]").forEach(imageComparison);
  document.querySelectorAll("form[data-live]").forEach(liveSearch);
  document.querySelectorAll("form[data-confirm]").forEach(confirmBeforeSubmit);
});
