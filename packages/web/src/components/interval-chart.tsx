import type { GuardrailPoint } from '@promptline/core';

const W = 360;
const H = 120;
const PAD = { left: 44, right: 8, top: 8, bottom: 18 };

const fmt = (x: number) => {
  const a = Math.abs(x);
  if (a === 0) return '0';
  if (a >= 100) return x.toFixed(0);
  if (a >= 1) return x.toFixed(2);
  return x.toPrecision(2);
};

/**
 * A guardrail's anytime-valid interval (candidate − control) over time, as a band, with the
 * regression threshold as a dashed line: the band crossing the line is what rolls back. A tiny
 * SVG: the web app has no charting dependency and this needs none.
 */
export function IntervalChart({ points, label }: { points: GuardrailPoint[]; label: string }) {
  const drawn = points.filter(
    (p): p is GuardrailPoint & { interval: [number, number] } => p.interval !== null,
  );
  if (drawn.length === 0) {
    return (
      <p className="muted" data-testid="interval-chart-empty">
        No interval yet ({points.length === 0 ? 'not checked' : 'too few samples'}).
      </p>
    );
  }
  const times = drawn.map((p) => Date.parse(p.at));
  const t0 = Math.min(...times);
  const t1 = Math.max(...times, t0 + 1);
  const values = drawn.flatMap((p) => [
    p.interval[0],
    p.interval[1],
    ...(p.threshold === null ? [] : [p.threshold]),
  ]);
  let lo = Math.min(0, ...values);
  let hi = Math.max(0, ...values);
  if (hi - lo < 1e-9) {
    lo -= 1;
    hi += 1;
  }
  const x = (t: number) => PAD.left + ((t - t0) / (t1 - t0)) * (W - PAD.left - PAD.right);
  const y = (v: number) => PAD.top + ((hi - v) / (hi - lo)) * (H - PAD.top - PAD.bottom);
  // One point still draws a band: widen it to a sliver.
  const xs = drawn.length === 1 ? [PAD.left, W - PAD.right] : times.map(x);
  const rows = drawn.length === 1 ? [drawn[0], drawn[0]] : drawn;
  const upper = rows.map((p, i) => `${xs[i]},${y(p?.interval[1] ?? 0)}`);
  const lower = rows.map((p, i) => `${xs[i]},${y(p?.interval[0] ?? 0)}`).reverse();
  const threshold = drawn.at(-1)?.threshold ?? null;
  const last = drawn.at(-1);
  return (
    <svg
      className="interval-chart"
      viewBox={`0 0 ${W} ${H}`}
      role="img"
      aria-label={`${label}: interval of candidate − control over ${drawn.length} check(s)${
        last ? `, last [${fmt(last.interval[0])}, ${fmt(last.interval[1])}]` : ''
      }${threshold === null ? '' : `, threshold ${fmt(threshold)}`}`}
      data-points={drawn.length}
    >
      <line className="axis" x1={PAD.left} x2={W - PAD.right} y1={y(0)} y2={y(0)} />
      <text className="tick" x={PAD.left - 4} y={y(hi) + 4} textAnchor="end">
        {fmt(hi)}
      </text>
      <text className="tick" x={PAD.left - 4} y={y(0) + 4} textAnchor="end">
        0
      </text>
      <text className="tick" x={PAD.left - 4} y={y(lo)} textAnchor="end">
        {fmt(lo)}
      </text>
      <polygon className="band" points={[...upper, ...lower].join(' ')} />
      {threshold === null ? null : (
        <line className="threshold" x1={PAD.left} x2={W - PAD.right} y1={y(threshold)} y2={y(threshold)} />
      )}
      {drawn.map((p, i) =>
        p.verdict === 'regression' ? (
          <circle key={p.at} className="regression" cx={xs[i]} cy={y(p.interval[0])} r={3} />
        ) : null,
      )}
    </svg>
  );
}
