import type { PromptThresholds } from '@promptline/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { thresholdsApi } from '../../api/admin.ts';
import { ProblemView, QueryView } from '../../components/states.tsx';

/** The form's fields as typed: percentages and amounts as text, '' = no limit. */
interface Fields {
  minPassRate: string;
  noRegressions: boolean;
  maxCostPerCaseUsd: string;
  maxLatencyP95Ms: string;
}

function toFields(t: PromptThresholds): Fields {
  return {
    minPassRate: t.minPassRate === undefined ? '' : String(Math.round(t.minPassRate * 10_000) / 100),
    noRegressions: t.noRegressions ?? false,
    maxCostPerCaseUsd: t.maxCostPerCaseUsd === undefined ? '' : String(t.maxCostPerCaseUsd),
    maxLatencyP95Ms: t.maxLatencyP95Ms === undefined ? '' : String(t.maxLatencyP95Ms),
  };
}

/** The thresholds a form describes: a pass rate typed in percent is stored as a share (0…1). */
export function toThresholds(f: Fields): PromptThresholds {
  const num = (s: string) => (s.trim() === '' ? undefined : Number(s));
  const rate = num(f.minPassRate);
  const cost = num(f.maxCostPerCaseUsd);
  const latency = num(f.maxLatencyP95Ms);
  return {
    ...(rate === undefined ? {} : { minPassRate: rate / 100 }),
    ...(f.noRegressions ? { noRegressions: true } : {}),
    ...(cost === undefined ? {} : { maxCostPerCaseUsd: cost }),
    ...(latency === undefined ? {} : { maxLatencyP95Ms: latency }),
  };
}

/** Per-prompt quality gates every eval run of the prompt is checked against. */
export function ThresholdsCard({ prompt }: { prompt: string }) {
  const thresholds = useQuery({ queryKey: ['thresholds', prompt], queryFn: () => thresholdsApi.get(prompt) });
  return (
    <section className="card stack" aria-label="Quality thresholds">
      <h2>Quality thresholds</h2>
      <QueryView query={thresholds} loadingLabel="Loading thresholds…">
        {(t) => <ThresholdsForm key={prompt} prompt={prompt} saved={t} />}
      </QueryView>
    </section>
  );
}

function ThresholdsForm({ prompt, saved }: { prompt: string; saved: PromptThresholds }) {
  const queryClient = useQueryClient();
  const [fields, setFields] = useState<Fields>(() => toFields(saved));
  const dirty = JSON.stringify(toThresholds(fields)) !== JSON.stringify(toThresholds(toFields(saved)));
  const save = useMutation({
    mutationFn: () => thresholdsApi.put(prompt, toThresholds(fields)),
    onSuccess: (t) => queryClient.setQueryData(['thresholds', prompt], t),
  });
  const set = (patch: Partial<Fields>) => {
    save.reset();
    setFields({ ...fields, ...patch });
  };
  const none = Object.keys(toThresholds(fields)).length === 0;
  return (
    <form
      className="form"
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate();
      }}
    >
      <p className="muted small">
        Each version × model of a finished run meets them or not; the run page shows the verdict. Leave a
        field empty for no limit.
      </p>
      <div className="row wrap">
        <label>
          Least pass rate (%)
          <input
            type="number"
            min={0}
            max={100}
            step="any"
            value={fields.minPassRate}
            onChange={(e) => set({ minPassRate: e.target.value })}
            placeholder="no limit"
          />
        </label>
        <label>
          Most cost per case (USD)
          <input
            type="number"
            min={0}
            step="any"
            value={fields.maxCostPerCaseUsd}
            onChange={(e) => set({ maxCostPerCaseUsd: e.target.value })}
            placeholder="no limit"
          />
        </label>
        <label>
          Most p95 latency (ms)
          <input
            type="number"
            min={0}
            step="any"
            value={fields.maxLatencyP95Ms}
            onChange={(e) => set({ maxLatencyP95Ms: e.target.value })}
            placeholder="no limit"
          />
        </label>
        <label className="inline align-end">
          <input
            type="checkbox"
            checked={fields.noRegressions}
            onChange={(e) => set({ noRegressions: e.target.checked })}
          />
          No regressions against the baseline
        </label>
      </div>
      {save.error ? <ProblemView error={save.error} /> : null}
      <div className="row end">
        {save.isSuccess && !dirty ? (
          <span className="muted small" role="status">
            Saved{none ? ': no thresholds' : ''}.
          </span>
        ) : null}
        <button type="submit" className="primary" disabled={!dirty || save.isPending}>
          {save.isPending ? 'Saving…' : 'Save thresholds'}
        </button>
      </div>
    </form>
  );
}
