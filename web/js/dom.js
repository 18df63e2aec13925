// Small DOM helpers: element creation without innerHTML (all text goes in as text), live messages.

/**
 * h("button", {class: "primary", onClick: fn, dataset: {id}}, "Save")
 * Attributes starting with "on" become listeners; `false`/`null` attributes are left out.
 */
export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === false || value === null || value === undefined) continue;
    if (key.startsWith("on") && typeof value === "function") {
      element.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === "dataset") {
      Object.assign(element.dataset, value);
    } else if (key === "class") {
      element.className = value;
    } else if (key === "value" || key === "checked" || key === "selected" || key === "indeterminate") {
      element[key] = value;
    } else if (value === true) {
      element.setAttribute(key, "");
    } else {
      element.setAttribute(key, String(value));
    }
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function replace(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

let uid = 0;
export function uniqueId(prefix = "id") {
  uid += 1;
  return `${prefix}-${uid}`;
}

/** A labelled control: <div class="field"><label for>text</label>control</div>. */
export function field(labelText, control, { hint, className = "field" } = {}) {
  if (!control.id) control.id = uniqueId("f");
  const parts = [h("label", { for: control.id }, labelText), control];
  if (hint) {
    const hintId = uniqueId("hint");
    control.setAttribute("aria-describedby", hintId);
    parts.push(h("p", { class: "hint", id: hintId }, hint));
  }
  return h("div", { class: className }, parts);
}

export function select(options, { value, ...attrs } = {}) {
  const element = h("select", attrs, options.map(([optionValue, text]) => h("option", { value: optionValue }, text)));
  if (value !== undefined && value !== null) element.value = value; // else the first option, as in HTML
  return element;
}

// ------------------------------------------------------------------------------------------ messages

/** Polite status message (screen readers read it when idle); also shown as a toast. */
export function announce(message, { tone = "info" } = {}) {
  const region = document.getElementById("status");
  if (!region) return;
  region.dataset.tone = tone;
  region.textContent = "";
  // A fresh text node in a later frame makes screen readers read a repeated message again.
  requestAnimationFrame(() => {
    region.textContent = message;
  });
  clearTimeout(announce.timer);
  announce.timer = setTimeout(() => {
    if (region.textContent === message) region.textContent = "";
  }, 8000);
}

export function errorBox(error, { retry } = {}) {
  const message = error && error.message ? error.message : String(error);
  return h(
    "div",
    { class: "notice notice-error", role: "alert" },
    h("p", {}, h("strong", {}, "Something went wrong: "), message),
    retry ? h("button", { type: "button", class: "button", onClick: retry }, "Try again") : null,
  );
}

export function notice(text, { tone = "info", title } = {}) {
  return h("div", { class: `notice notice-${tone}` }, title ? h("p", {}, h("strong", {}, title)) : null, h("p", {}, text));
}

export function spinner(text = "Loading…") {
  return h("p", { class: "loading", role: "status" }, h("span", { class: "spinner", "aria-hidden": "true" }), text);
}
