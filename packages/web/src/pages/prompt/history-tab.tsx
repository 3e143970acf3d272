import type { Prompt } from '@promptline/core';
import { useState } from 'react';
import { Empty, Loading, ProblemView } from '../../components/states.tsx';
import { formatAgo, formatTime } from '../../lib/format.ts';
import { useQueryParams } from '../../lib/use-query-params.ts';
import { useVersions } from './editor-tab.tsx';

/** The version timeline: number, semver, author, time, message, where each is live; pick two to diff. */
export function HistoryTab({ prompt }: { prompt: Prompt }) {
  const versions = useVersions(prompt.name);
  const [, setParams] = useQueryParams();
  const [picked, setPicked] = useState<number[]>([]);
  if (versions.error) return <ProblemView error={versions.error} onRetry={() => void versions.refetch()} />;
  if (versions.isPending) return <Loading label="Loading versions…" />;
  if (versions.data.length === 0)
    return <Empty title="No versions yet">Write the prompt in the Editor tab and save it.</Empty>;

  const liveIn = (n: number) =>
    Object.entries(prompt.deployments ?? {})
      .filter(([, r]) => r.enabled && r.variants.some((v) => v.version === n))
      .map(([env]) => env);
  const toggle = (n: number) =>
    setPicked((p) => (p.includes(n) ? p.filter((x) => x !== n) : [...p.slice(-1), n]));
  const [a, b] = [...picked].sort((x, y) => x - y);

  return (
    <div>
      <div className="toolbar">
        <span className="muted small">Pick two versions to compare.</span>
        <span className="grow" />
        <button
          type="button"
          className="primary"
          disabled={a === undefined || b === undefined}
          onClick={() => a !== undefined && b !== undefined && setParams({ tab: 'diff', from: a, to: b })}
        >
          Compare {a !== undefined && b !== undefined ? `v${a} → v${b}` : ''}
        </button>
      </div>
      <ol className="timeline" aria-label="Versions">
        {versions.data.map((v) => (
          <li key={v.number} className="timeline-item">
            <input
              type="checkbox"
              checked={picked.includes(v.number)}
              onChange={() => toggle(v.number)}
              aria-label={`Pick v${v.number} to compare`}
            />
            <div className="grow">
              <div className="row">
                <strong>v{v.number}</strong>
                <span className="badge">{v.semver}</span>
                <span className="badge">{v.type}</span>
                {liveIn(v.number).map((env) => (
                  <span key={env} className="badge live">
                    live in {env}
                  </span>
                ))}
              </div>
              <div>{v.message || <span className="muted">No message</span>}</div>
              <small className="muted" title={formatTime(v.createdAt)}>
                {v.author} · {formatAgo(v.createdAt)} · {v.hash.slice(0, 12)}
              </small>
            </div>
            <div className="row">
              <button type="button" onClick={() => setParams({ tab: null, v: v.number })}>
                Edit from
              </button>
              {v.number > 1 ? (
                <button
                  type="button"
                  onClick={() => setParams({ tab: 'diff', from: v.number - 1, to: v.number })}
                >
                  Changes
                </button>
              ) : null}
            </div>
          </li>
        ))}
      </ol>
    </div>
  );
}
