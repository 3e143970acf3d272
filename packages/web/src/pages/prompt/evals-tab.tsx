import type { Prompt } from '@promptline/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useLocation } from 'wouter';
import { evalsApi } from '../../api/evals.ts';
import { ProblemView, QueryView } from '../../components/states.tsx';
import { EvalRunsTable } from '../eval-runs-table.tsx';
import { useVersions } from './editor-tab.tsx';

/** Eval runs of this prompt, and a form to start one. */
export function PromptEvalsTab({ prompt }: { prompt: Prompt }) {
  const runs = useQuery({
    queryKey: ['eval-runs', prompt.name],
    queryFn: () => evalsApi.listRuns({ prompt: prompt.name }),
  });
  return (
    <div className="stack">
      <StartEvalRun prompt={prompt} />
      <QueryView query={runs} loadingLabel="Loading eval runs…">
        {(items) => <EvalRunsTable runs={items.filter((r) => r.prompt === prompt.name)} />}
      </QueryView>
    </div>
  );
}

function StartEvalRun({ prompt }: { prompt: Prompt }) {
  const versions = useVersions(prompt.name);
  const queryClient = useQueryClient();
  const [, navigate] = useLocation();
  const [dataset, setDataset] = useState('');
  const [picked, setPicked] = useState<number[]>([]);
  const [models, setModels] = useState('mock/mock-1');
  const datasets = useQuery({ queryKey: ['datasets'], queryFn: evalsApi.listDatasets });
  const start = useMutation({
    mutationFn: () =>
      evalsApi.startRun({
        prompt: prompt.name,
        ...(picked.length ? { versions: [...picked].sort((a, b) => a - b) } : {}),
        dataset: dataset.trim(),
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
          <input
            value={dataset}
            onChange={(e) => setDataset(e.target.value)}
            placeholder="support/triage-cases"
            list="eval-datasets"
            required
          />
          <datalist id="eval-datasets">
            {(datasets.data ?? []).map((d) => (
              <option key={d.name} value={d.name}>
                {d.itemCount} cases
              </option>
            ))}
          </datalist>
        </label>
        <label className="grow">
          Models (provider/model, comma separated)
          <input value={models} onChange={(e) => setModels(e.target.value)} />
        </label>
      </div>
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
    </form>
  );
}
