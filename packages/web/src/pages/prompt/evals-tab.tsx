import type { Prompt } from '@promptline/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link, useLocation } from 'wouter';
import { api } from '../../api/client.ts';
import { type EvalRun, evalsApi } from '../../api/evals.ts';
import { ProblemView, QueryView } from '../../components/states.tsx';
import { EvalRunsTable } from '../eval-runs-table.tsx';
import { useVersions } from './editor-tab.tsx';
import { ThresholdsCard } from './thresholds.tsx';

/** Eval runs of this prompt, and a form to start one. */
export function PromptEvalsTab({ prompt }: { prompt: Prompt }) {
  const runs = useQuery({
    queryKey: ['eval-runs', prompt.name],
    queryFn: () => evalsApi.listRuns({ prompt: prompt.name }),
  });
  return (
    <div className="stack">
      <StartEvalRun prompt={prompt} runs={(runs.data ?? []).filter((r) => r.prompt === prompt.name)} />
      <ThresholdsCard prompt={prompt.name} />
      <QueryView query={runs} loadingLabel="Loading eval runs…">
        {(items) => <EvalRunsTable runs={items.filter((r) => r.prompt === prompt.name)} />}
      </QueryView>
    </div>
  );
}

function StartEvalRun({ prompt, runs }: { prompt: Prompt; runs: EvalRun[] }) {
  const versions = useVersions(prompt.name);
  const queryClient = useQueryClient();
  const [, navigate] = useLocation();
  const [dataset, setDataset] = useState('');
  const [picked, setPicked] = useState<number[]>([]);
  const [models, setModels] = useState('mock/mock-1');
  // '' = none; a run id; or `env:<name>` for the latest run of what that environment serves.
  const [baseline, setBaseline] = useState('');
  const datasets = useQuery({ queryKey: ['datasets'], queryFn: evalsApi.listDatasets });
  const environments = useQuery({ queryKey: ['environments'], queryFn: api.listEnvironments });
  const start = useMutation({
    mutationFn: () =>
      evalsApi.startRun({
        prompt: prompt.name,
        ...(picked.length ? { versions: [...picked].sort((a, b) => a - b) } : {}),
        dataset: dataset.trim(),
        ...(baseline ? { baseline: /^\d+$/.test(baseline) ? Number(baseline) : baseline } : {}),
        models: models
          .split(',')
          .map((m) => m.trim())
          .filter(Boolean)
          .map((m) => {
            const [provider = '', ...rest] = m.split('/');
            return { provider, model: rest.join('/') || provider };
          }),
      }),
    onSuccess: async (run) => {
      await queryClient.invalidateQueries({ queryKey: ['eval-runs'] });
      navigate(`/evals/${run.id}`);
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    start.mutate();
  };
  return (
    <form className="card form" onSubmit={submit} aria-label="Start an eval run">
      <h2>Start an eval run</h2>
      <div className="row wrap">
        <label className="grow">
          Dataset
          <select value={dataset} onChange={(e) => setDataset(e.target.value)} required>
            <option value="">
              {datasets.isPending
                ? 'Loading datasets…'
                : datasets.data?.length
                  ? 'Choose a dataset'
                  : 'No datasets yet'}
            </option>
            {(datasets.data ?? []).map((d) => (
              <option key={d.name} value={d.name} disabled={d.itemCount === 0}>
                {d.name} · {d.itemCount} {d.itemCount === 1 ? 'case' : 'cases'} · rev {d.revision}
              </option>
            ))}
          </select>
          <small className="muted">
            <Link href="/datasets">{datasets.data?.length ? 'Manage datasets' : 'Create a dataset'}</Link>
          </small>
        </label>
        <label className="grow">
          Models (provider/model, comma separated)
          <input value={models} onChange={(e) => setModels(e.target.value)} />
        </label>
      </div>
      <label>
        Baseline (regressions are counted against it)
        <select value={baseline} onChange={(e) => setBaseline(e.target.value)}>
          <option value="">None</option>
          {(environments.data ?? [])
            .filter((e) => !e.archived)
            .sort((a, b) => b.rank - a.rank)
            .map((e) => (
              <option key={e.name} value={`env:${e.name}`}>
                Latest run of what {e.name} serves
              </option>
            ))}
          {[...runs]
            .sort((a, b) => b.id - a.id)
            .slice(0, 50)
            .map((r) => (
              <option key={r.id} value={r.id}>
                Run #{r.id} · {r.versions.map((v) => `v${v}`).join(', ')}
                {r.dataset ? ` · ${r.dataset.name}` : ''} · {r.status}
              </option>
            ))}
        </select>
      </label>
      <fieldset className="row wrap">
        <legend>Versions (default: the newest)</legend>
        {(versions.data ?? []).slice(0, 12).map((v) => (
          <label key={v.number} className="inline">
            <input
              type="checkbox"
              checked={picked.includes(v.number)}
              onChange={() =>
                setPicked((p) => (p.includes(v.number) ? p.filter((x) => x !== v.number) : [...p, v.number]))
              }
            />
            v{v.number}
          </label>
        ))}
      </fieldset>
      <div className="row end">
        <button type="submit" className="primary" disabled={start.isPending || !dataset.trim()}>
          {start.isPending ? 'Starting…' : 'Start run'}
        </button>
      </div>
      {start.error ? <ProblemView error={start.error} /> : null}
      {datasets.error ? <ProblemView error={datasets.error} /> : null}
    </form>
  );
}
