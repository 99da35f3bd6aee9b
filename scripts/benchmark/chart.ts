// An SVG strip-and-box plot of the timing distributions: one panel per
// measure, one row per runtime. Every run is a dot; the box spans the middle
// half (25th–75th percentile) with the median as a thick line; whiskers reach
// the 5th and 95th percentiles. Each panel has its own linear axis from 0.
import { RUNTIME_NAMES, type RuntimeName } from "./runtimes";
import { quantile, type Samples } from "./timing";

export interface Panel { title: string; samples: Samples }

const COLORS: Record<RuntimeName, string> = { "crio-lxc": "#c0392b", crun: "#2471a3", runc: "#229954" };
const WIDTH = 920;
const LABEL_W = 90;
const PLOT_X0 = 100;
const PLOT_X1 = 800;
const ROW_H = 34;
const PANEL_TOP = 30;
const AXIS_H = 26;
const PANEL_H = PANEL_TOP + RUNTIME_NAMES.length * ROW_H + AXIS_H;

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const fmt = (ms: number) => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(1));

/** A round axis end and tick step covering `max`. */
function axis(max: number): { end: number; step: number } {
  const raw = max / 5;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw)!;
  return { end: Math.ceil(max / step) * step, step };
}

/** A fixed spread in [-0.5, 0.5) per run index, so the chart is the same for the same data. */
const jitter = (i: number) => ((i * 0.6180339887) % 1) - 0.5;

function row(name: RuntimeName, xs: number[], y: number, x: (ms: number) => number, end: number): string {
  const color = COLORS[name];
  const mid = y + ROW_H / 2;
  const [p5, p25, p50, p75, p95] = [0.05, 0.25, 0.5, 0.75, 0.95].map((q) => quantile(xs, q)) as [number, number, number, number, number];
  const dots = xs.map((ms, i) => {
    const beyond = ms > end;
    return `<circle cx="${x(Math.min(ms, end)).toFixed(1)}" cy="${(mid + jitter(i) * 16).toFixed(1)}" r="${beyond ? 3 : 2}" fill="${color}" fill-opacity="${beyond ? 0.9 : 0.4}"/>`;
  });
  return [
    `<text x="${LABEL_W}" y="${mid + 4}" text-anchor="end" font-weight="bold" fill="${color}">${name}</text>`,
    `<line x1="${x(p5)}" x2="${x(Math.min(p95, end))}" y1="${mid}" y2="${mid}" stroke="${color}" stroke-width="1"/>`,
    `<rect x="${x(p25)}" y="${mid - 9}" width="${Math.max(1, x(Math.min(p75, end)) - x(p25))}" height="18" fill="none" stroke="${color}" stroke-width="1.5"/>`,
    ...dots,
    `<line x1="${x(p50)}" x2="${x(p50)}" y1="${mid - 11}" y2="${mid + 11}" stroke="${color}" stroke-width="3"/>`,
    `<text x="${PLOT_X1 + 12}" y="${mid + 4}" fill="${color}">median ${fmt(p50)} ms</text>`,
  ].join("\n");
}

function panel(p: Panel, top: number): string {
  const all = RUNTIME_NAMES.flatMap((n) => p.samples[n]);
  // The axis covers every runtime's 98th percentile; slower runs sit at its end, drawn larger.
  const { end, step } = axis(Math.max(...RUNTIME_NAMES.map((n) => quantile(p.samples[n], 0.98))) * 1.05 || Math.max(...all));
  const x = (ms: number) => PLOT_X0 + (ms / end) * (PLOT_X1 - PLOT_X0);
  const axisY = top + PANEL_TOP + RUNTIME_NAMES.length * ROW_H;
  const ticks: string[] = [];
  for (let t = 0; t <= end + step / 2; t += step) {
    ticks.push(`<line x1="${x(t)}" x2="${x(t)}" y1="${top + PANEL_TOP - 4}" y2="${axisY + 4}" stroke="#ddd"/>`);
    ticks.push(`<text x="${x(t)}" y="${axisY + 18}" text-anchor="middle" fill="#555">${Number(t.toFixed(2))}</text>`);
  }
  return [
    `<text x="10" y="${top + 18}" font-weight="bold">${esc(p.title)} — ms, ${p.samples["crio-lxc"].length} runs each</text>`,
    ...ticks,
    `<line x1="${PLOT_X0}" x2="${PLOT_X1}" y1="${axisY + 4}" y2="${axisY + 4}" stroke="#888"/>`,
    ...RUNTIME_NAMES.map((n, i) => row(n, p.samples[n], top + PANEL_TOP + i * ROW_H, x, end)),
  ].join("\n");
}

export function renderChart(title: string, panels: Panel[]): string {
  const height = 40 + panels.length * (PANEL_H + 14) + 24;
  const body = panels.map((p, i) => panel(p, 40 + i * (PANEL_H + 14)));
  const note = "dot = one run; box = 25th–75th percentile, thick line = median, whisker = 5th–95th; runs beyond the axis are drawn larger at its end";
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="22" font-size="15" font-weight="bold">${esc(title)}</text>`,
    ...body,
    `<text x="10" y="${height - 10}" fill="#555" font-size="11">${esc(note)}</text>`,
    `</svg>`,
  ].join("\n") + "\n";
}
