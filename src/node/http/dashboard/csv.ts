/**
 * One CSV cell: quoted when it holds a quote, comma or line break (quotes doubled), and a cell
 * a spreadsheet would take for a formula (starting with = + - @, tab or carriage return)
 * prefixed with `'` so it stays text.
 */
export function csvCell(value: string): string {
  const defused = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(defused) ? `"${defused.replaceAll('"', '""')}"` : defused;
}

export function csvRow(cells: readonly string[]): string {
  return `${cells.map(csvCell).join(",")}\r\n`;
}

/**
 * A CSV download streamed page by page: `nextPage` returns the next rows (already CSV
 * lines), or undefined when there are no more. Only one page is in memory at a time, and the
 * next is read only when the client has taken the last (backpressure).
 */
export function csvResponse(
  filename: string,
  header: readonly string[],
  nextPage: () => Promise<string[] | undefined>,
): Response {
  const encoder = new TextEncoder();
  const stream = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        controller.enqueue(encoder.encode(csvRow(header)));
      },
      async pull(controller) {
        const lines = await nextPage();
        if (lines === undefined) {
          controller.close();
          return;
        }
        if (lines.length > 0) controller.enqueue(encoder.encode(lines.join("")));
      },
    },
    { highWaterMark: 1 },
  );
  return new Response(stream, {
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="${filename}"`,
      "Cache-Control": "no-store",
    },
  });
}
