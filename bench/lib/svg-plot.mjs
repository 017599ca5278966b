// A small line-plot generator: series of (x, y) points to a standalone SVG,
// with linear or log axes. Enough for the bench's two figures, no dependencies.

export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f'];

const escapeXml = (s) => String(s).replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

function niceStep(span, target) {
  const raw = span / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * mag >= raw) return m * mag;
  return 10 * mag;
}

function axis({ values, log, base = 10, format, ticks: wanted = 6, min: fixedMin, max: fixedMax, step: fixedStep }) {
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  if (log) {
    if (lo <= 0) throw new Error('svg-plot: a log axis needs positive values');
    const a = Math.floor(Math.log(lo) / Math.log(base));
    const b = Math.ceil(Math.log(hi) / Math.log(base));
    const every = Math.max(1, Math.ceil((b - a) / wanted));
    const ticks = [];
    for (let e = a; e <= b; e += every) ticks.push(base ** e);
    const min = base ** a;
    const max = base ** Math.max(b, a + 1);
    return {
      ticks,
      format,
      scale: (v) => (Math.log(v) - Math.log(min)) / (Math.log(max) - Math.log(min)),
    };
  }
  const min = fixedMin ?? Math.min(0, lo);
  const step = fixedStep ?? niceStep((fixedMax ?? hi) - min || 1, wanted);
  const max = fixedMax ?? (Math.ceil(hi / step) * step || step);
  const ticks = [];
  for (let v = min; v <= max + step / 2; v += step) ticks.push(Number(v.toPrecision(12)));
  return { ticks, format, scale: (v) => (v - min) / (max - min) };
}

const LEGEND_ROW = 16;

/**
 * One plot panel. Returns SVG markup (a <g>) of the given size, placed at (x, y).
 * series: [{ name, points: [[x, y], ...], dashed?, marker? }]
 * legendBelow: the legend under the x axis instead of inside the plot's top
 * left corner (for panels whose lines would run through it).
 */
export function panel({ x = 0, y = 0, width, height, title, xLabel, yLabel, xAxis, yAxis, series, legendBelow = false }) {
  const pad = { left: 72, right: 16, top: 34, bottom: 48 };
  const plotW = width - pad.left - pad.right;
  const legendHeight = legendBelow ? series.filter((s) => !s.bars).length * LEGEND_ROW + 16 : 0;
  const plotH = height - pad.top - pad.bottom - legendHeight;
  const all = series.flatMap((s) => s.points);
  const xa = axis({ values: all.map((p) => p[0]), ...xAxis });
  const ya = axis({ values: all.map((p) => p[1]), ...yAxis });
  const px = (v) => pad.left + xa.scale(v) * plotW;
  const py = (v) => pad.top + (1 - ya.scale(v)) * plotH;
  const out = [`<g transform="translate(${x},${y})">`];
  out.push(`<text x="${width / 2}" y="20" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(title)}</text>`);
  out.push(`<rect x="${pad.left}" y="${pad.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#333"/>`);
  for (const t of xa.ticks) {
    const tx = px(t).toFixed(1);
    out.push(`<line x1="${tx}" y1="${pad.top}" x2="${tx}" y2="${pad.top + plotH}" stroke="#ddd"/>`);
    out.push(`<text x="${tx}" y="${pad.top + plotH + 16}" text-anchor="middle" font-size="11">${escapeXml(xa.format(t))}</text>`);
  }
  for (const t of ya.ticks) {
    const ty = py(t).toFixed(1);
    out.push(`<line x1="${pad.left}" y1="${ty}" x2="${pad.left + plotW}" y2="${ty}" stroke="#ddd"/>`);
    out.push(`<text x="${pad.left - 6}" y="${(+ty + 4).toFixed(1)}" text-anchor="end" font-size="11">${escapeXml(ya.format(t))}</text>`);
  }
  out.push(`<text x="${pad.left + plotW / 2}" y="${pad.top + plotH + pad.bottom - 8}" text-anchor="middle" font-size="12">${escapeXml(xLabel)}</text>`);
  out.push(`<text transform="translate(16,${pad.top + plotH / 2}) rotate(-90)" text-anchor="middle" font-size="12">${escapeXml(yLabel)}</text>`);
  series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length];
    if (s.bars) {
      // One bar per point, from the axis floor up, labelled with its value.
      const slot = plotW / (xa.ticks.length - 1 || 1);
      for (const [a, b, barColor] of s.points) {
        const left = px(a) - slot * 0.3;
        const top = py(b);
        out.push(`<rect class="bar" x="${left.toFixed(1)}" y="${top.toFixed(1)}" width="${(slot * 0.6).toFixed(1)}" height="${(pad.top + plotH - top).toFixed(1)}" fill="${barColor ?? color}"/>`);
        out.push(`<text x="${px(a).toFixed(1)}" y="${(top - 4).toFixed(1)}" text-anchor="middle" font-size="11">${escapeXml(formatNumber(b))}</text>`);
      }
      return;
    }
    const pts = s.points.map(([a, b]) => `${px(a).toFixed(1)},${py(b).toFixed(1)}`).join(' ');
    out.push(`<polyline class="series" data-name="${escapeXml(s.name)}" points="${pts}" fill="none" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    if (s.marker !== false)
      for (const [a, b] of s.points)
        out.push(`<circle cx="${px(a).toFixed(1)}" cy="${py(b).toFixed(1)}" r="3" fill="${color}"/>`);
    // Legend, top-left inside the plot or under the x axis.
    const ly = (legendBelow ? pad.top + plotH + pad.bottom + 12 : pad.top + 14) + i * LEGEND_ROW;
    out.push(`<line x1="${pad.left + 8}" y1="${ly - 4}" x2="${pad.left + 30}" y2="${ly - 4}" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    out.push(`<text x="${pad.left + 36}" y="${ly}" font-size="11">${escapeXml(s.name)}</text>`);
  });
  out.push('</g>');
  return out.join('\n');
}

/** A whole SVG document holding the given panels side by side. */
export function figure({ width, height, caption, panels }) {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    ...panels,
    caption ? `<text x="${width / 2}" y="${height - 6}" text-anchor="middle" font-size="11" fill="#555">${escapeXml(caption)}</text>` : '',
    '</svg>',
    '',
  ].join('\n');
}

/** 4096 -> "4K", 1048576 -> "1M". */
export function formatBytes(n) {
  if (n >= 1024 ** 3) return `${+(n / 1024 ** 3).toFixed(2)}G`;
  if (n >= 1024 ** 2) return `${+(n / 1024 ** 2).toFixed(2)}M`;
  if (n >= 1024) return `${+(n / 1024).toFixed(2)}K`;
  return String(n);
}

/** A compact number for axis ticks: 0.001, 20, 1.5k, 3M. */
export function formatNumber(v) {
  const a = Math.abs(v);
  if (a >= 1e6) return `${+(v / 1e6).toPrecision(3)}M`;
  if (a >= 1e3) return `${+(v / 1e3).toPrecision(3)}k`;
  if (a === 0) return '0';
  return String(+v.toPrecision(3));
}
