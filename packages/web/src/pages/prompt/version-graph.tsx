import type { VersionGraph } from '@promptline/core';

const ROW = 28;
const LANE = 22;

/**
 * The version history as an SVG: one row per version (oldest at the top), one lane per line
 * (main first, then branches by first appearance), an edge to each parent — a merge has two.
 */
export function VersionGraphView({ graph }: { graph: VersionGraph }) {
  const lanes = new Map<string, number>([['main', 0]]);
  for (const v of graph.versions) {
    const line = v.branch ?? 'main';
    if (!lanes.has(line)) lanes.set(line, lanes.size);
  }
  const row = new Map(graph.versions.map((v, i) => [v.number, i]));
  const lane = new Map(graph.versions.map((v) => [v.number, lanes.get(v.branch ?? 'main') ?? 0]));
  const x = (n: number) => 14 + (lane.get(n) ?? 0) * LANE;
  const y = (n: number) => 14 + (row.get(n) ?? 0) * ROW;
  const width = 14 + lanes.size * LANE + 260;
  const height = 14 + graph.versions.length * ROW;
  return (
    <svg
      className="version-graph"
      width={width}
      height={height}
      role="img"
      aria-label="Version graph"
      data-testid="version-graph"
    >
      {graph.versions.flatMap((v) =>
        v.parents.map((p) => (
          <path
            key={`${v.number}-${p}`}
            d={`M${x(p)},${y(p)} C${x(p)},${y(v.number) - ROW / 2} ${x(v.number)},${y(p) + ROW / 2} ${x(v.number)},${y(v.number)}`}
            fill="none"
            stroke="currentColor"
            strokeOpacity={0.5}
            data-edge={`${p}->${v.number}`}
          />
        )),
      )}
      {graph.versions.map((v) => (
        <g key={v.number} data-version={v.number}>
          <circle
            cx={x(v.number)}
            cy={y(v.number)}
            r={v.parents.length > 1 ? 7 : 5}
            fill={v.branch ? 'var(--accent, #7c5cff)' : 'var(--fg, #222)'}
          />
          <text x={14 + lanes.size * LANE} y={y(v.number) + 4} fontSize="12">
            {`v${v.number} ${v.semver} · ${v.branch ?? 'main'}${v.number === graph.main ? ' (head)' : ''}${v.parents.length > 1 ? ' · merge' : ''}`}
          </text>
        </g>
      ))}
    </svg>
  );
}
