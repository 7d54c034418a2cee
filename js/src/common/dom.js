// Building DOM without HTML strings: user text (class names, messages) only ever reaches the
// page through textContent, so it can never be interpreted as markup.

/**
 * h("button", {class: "x", text: label, dataset: {testid: "cancel"}, on: {click}}, children)
 */
export function h(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = String(value);
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key === "style") Object.assign(node.style, value);
    else if (key === "on") for (const [event, fn] of Object.entries(value)) node.addEventListener(event, fn);
    else if (key in node && typeof value !== "string") node[key] = value;
    else node.setAttribute(key, String(value));
  }
  for (const child of [].concat(children)) if (child) node.append(child);
  return node;
}

/** Replace all children of `node` (clearing without innerHTML). */
export function replaceChildren(node, children = []) {
  node.replaceChildren(...[].concat(children).filter(Boolean));
}

/** Bytes of a binary trait (DataView / ArrayBuffer / typed array) as a Uint8Array view. */
export function bytesOf(value) {
  if (value instanceof Uint8Array) return value;
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  throw new Error("expected binary data (DataView, ArrayBuffer or typed array)");
}

/** Calls fn at most once per `ms`, with the last arguments (trailing edge). */
export function debounce(fn, ms) {
  let timer = null;
  const wrapped = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
  wrapped.cancel = () => clearTimeout(timer);
  return wrapped;
}
