// Background jobs (bulk changes, exports): poll GET /accounts/{a}/jobs/{job} and show progress.

import { path } from "./api.js";
import { h, replace } from "./dom.js";
import { plural } from "./format.js";
import { state } from "./state.js";

const FINISHED = new Set(["succeeded", "partially_failed", "failed"]);
const FIRST_POLL_MS = 250;
const MAX_POLL_MS = 2000;

export function isFinished(job) {
  return FINISHED.has(job.state);
}

/**
 * Polls until the job finishes; `onUpdate(job)` after each read. Resolves with the final job.
 * The delay grows gently so a long export does not hammer the API. `signal` stops it.
 */
export async function pollJob(accountId, jobId, { onUpdate, signal } = {}) {
  let delay = FIRST_POLL_MS;
  for (;;) {
    const job = await state.api.get(path("accounts", accountId, "jobs", jobId), { signal });
    if (onUpdate) onUpdate(job);
    if (isFinished(job)) return job;
    await sleep(delay, signal);
    delay = Math.min(MAX_POLL_MS, Math.round(delay * 1.4));
  }
}

function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    if (signal) {
      signal.addEventListener("abort", () => {
        clearTimeout(timer);
        reject(new DOMException("stopped", "AbortError"));
      }, { once: true });
    }
  });
}

/** A progress panel: <progress> with done/total, a text line read by screen readers, a failure list. */
export function progressPanel(title) {
  const bar = h("progress", { class: "job-progress", max: 1, value: 0, "aria-label": `${title} progress` });
  const line = h("p", { class: "job-line", role: "status", "aria-live": "polite" }, "Starting…");
  const failures = h("div", { class: "job-failures" });
  const root = h("section", { class: "job", "aria-label": title, dataset: { state: "queued" } },
    h("h3", { class: "job-title" }, title), bar, line, failures);

  function update(job) {
    const total = Number(job.total) || 0;
    const done = Number(job.done) || 0;
    const failed = Number(job.failed) || 0;
    root.dataset.state = job.state;
    bar.max = Math.max(total, 1);
    bar.value = Math.min(done + failed, bar.max);
    if (total === 0 && isFinished(job)) bar.value = bar.max;
    bar.setAttribute("aria-valuetext", `${done + failed} of ${total}`);
    const counts = total ? `${done} of ${total} done${failed ? `, ${failed} failed` : ""}` : "preparing";
    const words = {
      queued: `Queued: ${counts}.`,
      running: `Working: ${counts}.`,
      succeeded: `Finished: ${counts}.`,
      partially_failed: `Finished with failures: ${counts}.`,
      failed: `Failed: ${counts}.`,
    };
    line.textContent = words[job.state] || `${job.state}: ${counts}.`;
    replace(failures, failureSummary(job));
  }

  return { root, update };
}

function failureSummary(job) {
  const errors = Array.isArray(job.errors) ? job.errors : [];
  if (!errors.length) return null;
  const shown = errors.slice(0, 20);
  return h(
    "details",
    { class: "failures", open: job.state === "failed" },
    h("summary", {}, `${plural(errors.length, "failure")} — show details`),
    h("ul", {}, shown.map((error) => h("li", {}, describeError(error)))),
    errors.length > shown.length ? h("p", {}, `…and ${errors.length - shown.length} more.`) : null,
  );
}

function describeError(error) {
  if (typeof error === "string") return error;
  const who = error.lead_id ? `Lead ${error.lead_id}: ` : "";
  return `${who}${error.message || error.code || JSON.stringify(error)}`;
}
