// Small DOM helpers. Every value the wallet shows is written as text (textContent, attributes
// set one by one), never parsed as HTML.

/** The element with `id`; the page is static, so a missing one is a bug. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page has no #${id}`);
  return element as T;
}

/** A new element with text content and attributes. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  text?: string,
  attributes: Record<string, string> = {},
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (text !== undefined) element.textContent = text;
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  return element;
}

export function show(element: HTMLElement, visible = true): void {
  element.hidden = !visible;
}

/** Shows a result line: `kind` is "ok" or "error" (styles and tests read data-kind). */
export function result(
  element: HTMLElement,
  kind: "ok" | "error" | "busy" | "pending",
  text: string,
): void {
  element.textContent = text;
  element.dataset.kind = kind;
  element.hidden = false;
}

/** Runs `work` with the form's submit button busy (Pico's spinner) and disabled. */
export async function busy<T>(form: HTMLFormElement | HTMLButtonElement, work: () => Promise<T>) {
  const button =
    form instanceof HTMLButtonElement
      ? form
      : (form.querySelector("button[type=submit]") as HTMLButtonElement | null);
  button?.setAttribute("aria-busy", "true");
  if (button) button.disabled = true;
  try {
    return await work();
  } finally {
    button?.removeAttribute("aria-busy");
    if (button) button.disabled = false;
  }
}

/** A readable message of anything thrown (a ClientError's shortMessage and code first). */
export function describeError(error: unknown): string {
  if (typeof error === "object" && error !== null) {
    const { shortMessage, message, code } = error as {
      shortMessage?: unknown;
      message?: unknown;
      code?: unknown;
    };
    const text =
      typeof shortMessage === "string"
        ? shortMessage
        : typeof message === "string"
          ? message
          : String(error);
    return typeof code === "string" && !text.includes(code) ? `${text} (${code})` : text;
  }
  return String(error);
}
