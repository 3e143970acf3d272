/**
 * A time-series chart drawn by uPlot (canvas, ~50 KB minified; draws 10 000 points in a few ms,
 * where SVG charting libraries build one DOM node per point). This module is the only importer of
 * uPlot and is loaded lazily with the monitoring tab, so the first page never carries it.
 * Deployment markers are vertical dashed lines drawn on the plot, each labelled above the axis.
 */
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartSeries {
  label: string;
  /** One value per x (null: no data there, the line breaks). */
  values: (number | null)[];
}

export interface ChartMarker {
  /** Epoch seconds. */
  t: number;
  label: string;
}

/** A qualitative palette that stays readable on both themes (one colour per version). */
const PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#ca8a04', '#db2777'];

export default function TimeChart({
  title,
  xs,
  series,
  markers,
  format,
}: {
  title: string;
  /** Epoch seconds, ascending. */
  xs: number[];
  series: ChartSeries[];
  markers: ChartMarker[];
  format?: (v: number) => string;
}) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const drawMarkers = (u: uPlot) => {
      const { ctx } = u;
      const { top, height } = u.bbox;
      ctx.save();
      ctx.strokeStyle = '#6b7280';
      ctx.fillStyle = '#6b7280';
      ctx.setLineDash([4, 4]);
      ctx.font = `${11 * devicePixelRatio}px sans-serif`;
      for (const m of markers) {
        const x = Math.round(u.valToPos(m.t, 'x', true));
        if (x < u.bbox.left - 1 || x > u.bbox.left + u.bbox.width + 1) continue;
        ctx.beginPath();
        ctx.moveTo(x, top);
        ctx.lineTo(x, top + height);
        ctx.stroke();
        ctx.fillText(m.label, x + 3, top + 12 * devicePixelRatio);
      }
      ctx.restore();
    };
    const plot = new uPlot(
      {
        title,
        width: Math.max(el.clientWidth, 300),
        height: 220,
        series: [
          {},
          ...series.map((s, i) => ({
            label: s.label,
            stroke: PALETTE[i % PALETTE.length] ?? '#2563eb',
            width: 1.5,
            spanGaps: false,
            // An interval alone between empty ones is still a value: show it as a dot.
            points: { show: true, size: 5 },
            ...(format ? { value: (_u: uPlot, v: number | null) => (v === null ? '—' : format(v)) } : {}),
          })),
        ],
        axes: [
          {},
          { size: 70, ...(format ? { values: (_u: uPlot, vals: number[]) => vals.map(format) } : {}) },
        ],
        hooks: { draw: [drawMarkers] },
      },
      [xs, ...series.map((s) => s.values)] as uPlot.AlignedData,
      el,
    );
    if (performance.getEntriesByName('monitoring-start').length > 0)
      performance.measure('chart-drawn', 'monitoring-start');
    const resize = new ResizeObserver(() =>
      plot.setSize({ width: Math.max(el.clientWidth, 300), height: 220 }),
    );
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [title, xs, series, markers, format]);
  return (
    <figure className="chart" data-testid="chart" data-title={title} data-markers={markers.length}>
      <div ref={host} />
    </figure>
  );
}
