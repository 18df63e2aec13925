// Export to CSV as a background job: POST /accounts/{a}/exports {filter} -> job -> result.download_url.

import { path } from "../api.js";
import { missingRouteMessage } from "../capabilities.js";
import { openDialog } from "../dialog.js";
import { announce, h, replace } from "../dom.js";
import { plural } from "../format.js";
import { progressPanel, pollJob } from "../jobs.js";
import { state } from "../state.js";

const EXPORT_ROUTE = "/accounts/{account_id}/exports";

export function openExport({ filter, activeFilters }) {
  const accountId = state.account.id;
  const controller = new AbortController();
  const area = h("div", { class: "export-area" });
  const start = h("button", { type: "button", class: "button button-primary" }, "Start export");
  const close = h("button", { type: "button", class: "button" }, "Close");
  const scope = activeFilters
    ? `Exports every lead that matches the current ${plural(activeFilters, "filter")}, on every page.`
    : "Exports every lead of this account.";
  const { close: closeDialog } = openDialog({
    title: "Export leads to CSV",
    className: "modal-export",
    body: [
      h("p", {}, scope),
      h("p", { class: "hint" }, "Exported leads count as viewed. The file opens in Excel and other spreadsheet apps; its download link works for 10 minutes."),
      area,
    ],
    actions: [close, start],
    onClose: () => controller.abort(),
  });
  close.addEventListener("click", () => closeDialog());
  start.addEventListener("click", async () => {
    start.disabled = true;
    const panel = progressPanel("Export");
    replace(area, panel.root);
    try {
      const { job_id: jobId } = await state.api.post(path("accounts", accountId, "exports"), filter && Object.keys(filter).length ? { filter } : {});
      announce("Export started.");
      const job = await pollJob(accountId, jobId, { onUpdate: panel.update, signal: controller.signal });
      const route = job.result && job.result.download_url;
      if (!route) {
        announce("The export finished without a file.", { tone: "error" });
        area.append(h("p", { class: "notice notice-error", role: "alert" }, "The export finished without a file to download."));
        return;
      }
      const rows = Number(job.result.rows ?? job.total) || 0;
      const button = h("button", { type: "button", class: "button button-primary download-link" },
        `Download CSV (${plural(rows, "lead")})`);
      const problem = h("p", { class: "form-error", role: "alert" });
      button.addEventListener("click", async () => {
        button.disabled = true;
        problem.textContent = "";
        try {
          await download(route);
          announce("Download started.");
        } catch (error) {
          problem.textContent = error.message;
        } finally {
          button.disabled = false;
        }
      });
      area.append(button, problem);
      button.focus();
      announce(`Export ready: ${plural(rows, "lead")}. Use the Download CSV button.`);
    } catch (error) {
      if (error.name === "AbortError") return;
      const message = (await missingRouteMessage(error, "POST", EXPORT_ROUTE, "Export")) || error.message;
      replace(area, h("div", { class: "notice notice-error", role: "alert" }, h("p", {}, message)));
      announce(message, { tone: "error" });
      start.disabled = false;
    }
  });
  start.focus();
}

/**
 * The download route needs the bearer token, so a plain link cannot call it. It answers 302 to a presigned
 * S3 URL (valid 10 minutes, checked again on every call): the fetch follows it and hands the file to the
 * browser as a download. A server that answers 200 {"url"} instead gets a direct navigation (no CORS needed).
 */
export async function download(route, accountId = state.account.id) {
  const response = await state.api.send("GET", route, { headers: { Accept: "text/csv, application/json" } });
  if ((response.headers.get("content-type") || "").includes("application/json")) {
    const body = await response.json();
    if (body && body.url) {
      save(body.url);
      return;
    }
  }
  const file = URL.createObjectURL(await response.blob());
  save(file, exportName(accountId));
  setTimeout(() => URL.revokeObjectURL(file), 60_000);
}

function save(href, filename) {
  const link = h("a", { href, download: filename || true, rel: "noopener", hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
}

function exportName(accountId) {
  const stamp = new Date().toISOString().slice(0, 16).replace(/[:T]/g, "-");
  return `leads-${accountId}-${stamp}.csv`;
}
