import { encode } from "uqr";

const SVG = "http://www.w3.org/2000/svg";

/**
 * A QR code of `text` as an SVG element built node by node (uqr's module matrix, one path), so
 * nothing is parsed as markup and no inline style is needed.
 */
export function qrCode(text: string, label: string): SVGSVGElement {
  const { size, data } = encode(text, { ecc: "M", border: 2 });
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 ${size} ${size}`);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", label);
  svg.setAttribute("shape-rendering", "crispEdges");
  const background = document.createElementNS(SVG, "rect");
  background.setAttribute("width", String(size));
  background.setAttribute("height", String(size));
  background.setAttribute("fill", "#fff");
  svg.append(background);
  let d = "";
  data.forEach((row, y) => {
    row.forEach((dark, x) => {
      if (dark) d += `M${x} ${y}h1v1h-1z`;
    });
  });
  const path = document.createElementNS(SVG, "path");
  path.setAttribute("d", d);
  path.setAttribute("fill", "#000");
  svg.append(path);
  return svg;
}

/** Puts a QR code of `text` into `container`, replacing what was there. */
export function showQr(container: HTMLElement, text: string, label: string): void {
  container.replaceChildren(qrCode(text, label));
  container.dataset.text = text;
}
