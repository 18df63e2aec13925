// Modal dialogs on the native <dialog> element: focus is trapped, Escape closes, and focus returns to
// the control that opened it.

import { h, replace, uniqueId } from "./dom.js";

/**
 * Opens the shared modal. `body` is a node (or list); `actions` are buttons. Returns {dialog, close}.
 * `onClose(returnValue)` runs once when it closes by any means.
 */
export function openDialog({ title, body, actions = [], onClose, className = "" }) {
  const dialog = document.getElementById("modal");
  if (dialog.open) dialog.close("replaced");
  const opener = document.activeElement;
  const titleId = uniqueId("dialog-title");
  dialog.className = `modal ${className}`.trim();
  dialog.setAttribute("aria-labelledby", titleId);
  const closeButton = h("button", { type: "button", class: "icon-button dialog-close", "aria-label": "Close" }, "×");
  closeButton.addEventListener("click", () => dialog.close("cancel"));
  replace(
    dialog,
    h("div", { class: "dialog-head" }, h("h2", { id: titleId }, title), closeButton),
    h("div", { class: "dialog-body" }, body),
    actions.length ? h("div", { class: "dialog-actions" }, actions) : null,
  );
  dialog.returnValue = "";
  const handleClose = () => {
    dialog.removeEventListener("close", handleClose);
    if (onClose) onClose(dialog.returnValue);
    if (opener && opener.isConnected && typeof opener.focus === "function") opener.focus();
  };
  dialog.addEventListener("close", handleClose);
  dialog.showModal();
  return { dialog, close: (value = "") => dialog.open && dialog.close(value) };
}

/** Resolves true when the user confirms. */
export function confirmDialog({ title, message, confirmText = "Confirm", danger = false, extra = null }) {
  return new Promise((resolve) => {
    const cancel = h("button", { type: "button", class: "button" }, "Cancel");
    const confirm = h("button", { type: "button", class: `button ${danger ? "button-danger" : "button-primary"}` }, confirmText);
    const { close } = openDialog({
      title,
      body: [h("p", {}, message), extra],
      actions: [cancel, confirm],
      onClose: (value) => resolve(value === "confirm"),
    });
    cancel.addEventListener("click", () => close("cancel"));
    confirm.addEventListener("click", () => close("confirm"));
    cancel.focus();
  });
}
