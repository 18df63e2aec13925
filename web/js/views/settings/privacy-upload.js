// A privacy policy as a PDF: checked here first (type, size, the file's own "%PDF-" signature), then sent
// straight to S3 through the presigned POST the API hands out; the application then names the object key.
//   POST /accounts/{a}/auto-capture/privacy-policy-upload -> {url, fields, key, max_bytes, content_type, expires_in_seconds}

import { ApiError, path } from "../../api.js";
import { state } from "../../state.js";

export const MAX_PDF_BYTES = 5 * 1024 * 1024;

/** Why this file cannot be the privacy policy, or null when it may. */
export async function pdfProblem(file) {
  if (!file) return "Choose a PDF file.";
  const named = /\.pdf$/i.test(file.name || "");
  if (file.type && file.type !== "application/pdf") return `${file.name} is not a PDF (it is ${file.type}). Choose a PDF file.`;
  if (!file.type && !named) return `${file.name} is not a PDF. Choose a PDF file.`;
  if (file.size === 0) return `${file.name} is empty.`;
  if (file.size > MAX_PDF_BYTES) return `${file.name} is ${megabytes(file.size)}; the limit is 5 MB.`;
  const head = new TextDecoder("latin1").decode(await file.slice(0, 5).arrayBuffer());
  if (head !== "%PDF-") return `${file.name} does not look like a PDF (it does not start with %PDF-).`;
  return null;
}

export function megabytes(bytes) {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** Uploads the file; resolves with the object key to send as `privacy_policy_upload`. */
export async function uploadPrivacyPolicy(accountId, file) {
  const grant = await state.api.post(path("accounts", accountId, "auto-capture", "privacy-policy-upload"));
  if (grant.max_bytes && file.size > grant.max_bytes) {
    throw new ApiError(413, "too_large", `${file.name} is ${megabytes(file.size)}; the limit is ${megabytes(grant.max_bytes)}.`);
  }
  const form = new FormData();
  for (const [name, value] of Object.entries(grant.fields || {})) form.append(name, value);
  form.append("file", file, file.name); // S3 reads every field after "file" as part of the file: it goes last
  let response;
  try {
    response = await fetch(grant.url, { method: "POST", body: form, credentials: "omit" });
  } catch {
    throw new ApiError(0, "upload_failed", "The PDF could not be sent to storage. Check your connection and try again.");
  }
  if (!response.ok) throw new ApiError(response.status, "upload_failed", `Storage refused the PDF: ${s3Message(await response.text())}`);
  return grant.key;
}

/** S3 answers errors in XML: <Error><Code>EntityTooLarge</Code><Message>...</Message></Error>. */
function s3Message(text) {
  const message = /<Message>([^<]*)<\/Message>/.exec(text || "");
  const code = /<Code>([^<]*)<\/Code>/.exec(text || "");
  if (code && code[1] === "EntityTooLarge") return "the file is larger than 5 MB.";
  return message ? message[1] : "it answered with an error.";
}
