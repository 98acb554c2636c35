/**
 * A plain-text table for human CLI output.
 */
export const table = (headers: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths = headers.map((h, i) => Math.min(60, Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length))))
  const cell = (text: string, i: number) => {
    const w = widths[i] ?? 0
    return text.length > w ? `${text.slice(0, w - 1)}…` : text.padEnd(w)
  }
  const line = (cells: ReadonlyArray<string>) => cells.map(cell).join("  ").trimEnd()
  return [line(headers), line(widths.map((w) => "─".repeat(w))), ...rows.map(line)].join("\n")
}
