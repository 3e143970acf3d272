import { useQuery } from '@tanstack/react-query';
import { lazy, Suspense } from 'react';
import { Link } from 'wouter';
import { api } from '../api/client.ts';
import { QueryView } from '../components/states.tsx';
import { useQueryParams } from '../lib/use-query-params.ts';
import { BranchesTab } from './prompt/branches-tab.tsx';
import { DeploymentsTab } from './prompt/deployments-tab.tsx';
import { DiffTab } from './prompt/diff-tab.tsx';
import { EditorTab } from './prompt/editor-tab.tsx';
import { PromptEvalsTab } from './prompt/evals-tab.tsx';
import { HistoryTab } from './prompt/history-tab.tsx';
import { MonitoringTab } from './prompt/monitoring-tab.tsx';
import { Ownership } from './prompt/ownership.tsx';

// Loaded on first use: the findings views stay out of the prompt page's own chunk.
const RedteamTab = lazy(() => import('./prompt/redteam-tab.tsx'));

const TABS = [
  { id: 'editor', label: 'Editor' },
  { id: 'history', label: 'History' },
  { id: 'diff', label: 'Diff' },
  { id: 'branches', label: 'Branches' },
  { id: 'deployments', label: 'Deployments' },
  { id: 'evals', label: 'Evals' },
  { id: 'redteam', label: 'Red team' },
  { id: 'monitoring', label: 'Monitoring' },
] as const;

/** One prompt: editor, version timeline, diff, deployments and evals. URL: `/prompts/<name>?tab=…`. */
export default function PromptPage({ name }: { name: string }) {
  const prompt = useQuery({ queryKey: ['prompt', name], queryFn: () => api.getPrompt(name) });
  const [params, setParams] = useQueryParams();
  const tab = TABS.some((t) => t.id === params.tab) ? (params.tab as (typeof TABS)[number]['id']) : 'editor';

  return (
    <div className="prompt-page">
      <p className="crumbs">
        <Link href="/">Registry</Link>
        {name
          .split('/')
          .slice(0, -1)
          .map((seg, i, all) => (
            <span key={all.slice(0, i + 1).join('/')}>
              {' / '}
              <Link href={`/?folder=${encodeURIComponent(`${all.slice(0, i + 1).join('/')}/`)}`}>{seg}</Link>
            </span>
          ))}
      </p>
      <QueryView query={prompt} loadingLabel="Loading prompt…">
        {(p) => (
          <>
            <header className="prompt-head">
              <div>
                <h1>{p.name}</h1>
                <p className="muted">
                  {p.description || 'No description'}
                  {p.latestVersion ? ` · latest v${p.latestVersion}` : ' · no versions yet'}
                </p>
                <Ownership prompt={p} />
                <div className="tags">
                  {p.tags.map((t) => (
                    <span key={t} className="tag">
                      {t}
                    </span>
                  ))}
                </div>
              </div>
              <Link
                className="button"
                href={`/playground?prompt=${encodeURIComponent(p.name)}${p.latestVersion ? `&version=${p.latestVersion}` : ''}`}
              >
                Open in playground
              </Link>
            </header>
            <div className="tabs" role="tablist" aria-label="Prompt sections">
              {TABS.map((t) => (
                <button
                  key={t.id}
                  type="button"
                  role="tab"
                  aria-selected={tab === t.id}
                  className={tab === t.id ? 'tab active' : 'tab'}
                  onClick={() => setParams({ tab: t.id === 'editor' ? null : t.id })}
                >
                  {t.label}
                </button>
              ))}
            </div>
            <div role="tabpanel" className="tab-panel">
              {tab === 'editor' ? <EditorTab prompt={p} /> : null}
              {tab === 'history' ? <HistoryTab prompt={p} /> : null}
              {tab === 'diff' ? <DiffTab prompt={p} /> : null}
              {tab === 'branches' ? <BranchesTab prompt={p} /> : null}
              {tab === 'deployments' ? <DeploymentsTab prompt={p} /> : null}
              {tab === 'evals' ? <PromptEvalsTab prompt={p} /> : null}
              {tab === 'redteam' ? (
                <Suspense fallback={<p className="muted">Loading…</p>}>
                  <RedteamTab prompt={p} />
                </Suspense>
              ) : null}
              {tab === 'monitoring' ? <MonitoringTab prompt={p} /> : null}
            </div>
          </>
        )}
      </QueryView>
    </div>
  );
}
