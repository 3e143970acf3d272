import { usePrefetchInfiniteQuery, useQueryClient } from '@tanstack/react-query';
import { Suspense, useEffect, useMemo } from 'react';
import { Redirect, Route, Switch, useLocation, useSearch } from 'wouter';
import { isSignedIn } from './api/auth.ts';
import { onUnauthorized } from './api/client.ts';
import { traceFilters, traceListQuery } from './api/traces.ts';
import { Layout } from './components/layout.tsx';
import { Loading } from './components/states.tsx';
import { lazyPage } from './lib/lazy-page.tsx';
import { NewPromptPage } from './pages/new-prompt.tsx';
import { FirstRunPage, InvitePage } from './pages/onboarding.tsx';
import { RegistryPage } from './pages/registry.tsx';
import { SignInPage } from './pages/sign-in.tsx';

// The registry is the first page and ships in the entry chunk; everything else (and with it
// CodeMirror) loads when first visited — through lazyPage, not React.lazy (see lazy-page.tsx).
const PromptPage = lazyPage(() => import('./pages/prompt-page.tsx'));
const PlaygroundPage = lazyPage(() => import('./pages/playground.tsx'));
const EvalsPage = lazyPage(() => import('./pages/evals.tsx'));
const EvalRunPage = lazyPage(() => import('./pages/eval-run.tsx'));
const AuditPage = lazyPage(() => import('./pages/audit.tsx'));
const DatasetsPage = lazyPage(() => import('./pages/datasets.tsx'));
const DatasetPage = lazyPage(() => import('./pages/dataset.tsx'));
const SettingsPage = lazyPage(() => import('./pages/settings.tsx'));
const AccountPage = lazyPage(() => import('./pages/account.tsx'));
const RequestsPage = lazyPage(() => import('./pages/requests.tsx'));
const RequestPage = lazyPage(() => import('./pages/request.tsx'));
const TracesPage = lazyPage(() => import('./pages/traces.tsx'));
const RolloutsPage = lazyPage(() => import('./pages/rollouts.tsx'));
const RolloutPage = lazyPage(() => import('./pages/rollout.tsx'));
const TracePage = lazyPage(() => import('./pages/trace.tsx'));
const DashboardPage = lazyPage(() => import('./pages/dashboard.tsx'));
const SessionPage = lazyPage(() => import('./pages/session.tsx'));
const TraceUsersPage = lazyPage(() => import('./pages/trace-users.tsx'));
const QueuesPage = lazyPage(() => import('./pages/annotation/queues.tsx'));
const QueuePage = lazyPage(() => import('./pages/annotation/queue.tsx'));
const ReviewPage = lazyPage(() => import('./pages/annotation/review.tsx'));

/**
 * The traces page asks for the list's first page while its chunk loads, so the two travel
 * together instead of one after the other (the page's own query finds it in flight).
 */
function TracesRoute() {
  const search = useSearch();
  const filters = useMemo(() => traceFilters(Object.fromEntries(new URLSearchParams(search))), [search]);
  usePrefetchInfiniteQuery(traceListQuery(filters));
  return <TracesPage />;
}

function signInHref(location: string): string {
  const next = location + window.location.search;
  return next === '/' ? '/sign-in' : `/sign-in?next=${encodeURIComponent(next)}`;
}

/** What an unknown address shows: where to go instead, in the words of the app. */
function NotFound() {
  return (
    <div className="state state-empty" data-testid="not-found">
      <strong>This page does not exist</strong>
      <p>
        The link may be old, or the prompt, dataset or run it pointed to may have been renamed or deleted.
        Find it from the <a href="/">registry</a>, the <a href="/datasets">datasets</a> or the{' '}
        <a href="/evals">eval runs</a>.
      </p>
    </div>
  );
}

/** Routes; every page has its own URL, and state worth sharing lives in the query string. */
export function App() {
  const [location, navigate] = useLocation();
  const queryClient = useQueryClient();
  useEffect(
    () =>
      onUnauthorized(() => {
        queryClient.clear();
        navigate(signInHref(window.location.pathname), { replace: true });
      }),
    [navigate, queryClient],
  );

  if (location === '/sign-in') return <SignInPage />;
  // Public pages: joining by invitation, and the first-run screen.
  if (location.startsWith('/invite/')) return <InvitePage token={decodeURIComponent(location.slice(8))} />;
  if (location === '/setup') return <FirstRunPage />;
  if (!isSignedIn()) return <Redirect to={signInHref(location)} replace />;

  return (
    <Layout>
      {/* Pages load without suspending (lazyPage); this catches what suspends inside one. */}
      <Suspense fallback={<Loading />}>
        <Switch>
          <Route path="/" component={RegistryPage} />
          <Route path="/prompts/new" component={NewPromptPage} />
          <Route path="/prompts/*">
            {(params) => <PromptPage name={decodeURIComponent(params['*'] ?? '')} />}
          </Route>
          <Route path="/playground" component={PlaygroundPage} />
          <Route path="/evals" component={EvalsPage} />
          <Route path="/evals/:id">{(params) => <EvalRunPage id={params.id} />}</Route>
          <Route path="/audit" component={AuditPage} />
          <Route path="/requests" component={RequestsPage} />
          <Route path="/requests/:id">{(params) => <RequestPage id={params.id} />}</Route>
          <Route path="/traces" component={TracesRoute} />
          <Route path="/rollouts" component={RolloutsPage} />
          <Route path="/rollouts/:id">{(params) => <RolloutPage id={params.id} />}</Route>
          <Route path="/traces/:id">{(params) => <TracePage traceId={params.id} />}</Route>
          <Route path="/sessions/:id">
            {(params) => <SessionPage sessionId={decodeURIComponent(params.id)} />}
          </Route>
          <Route path="/users" component={TraceUsersPage} />
          <Route path="/queues" component={QueuesPage} />
          <Route path="/queues/:id">{(params) => <QueuePage id={Number(params.id)} />}</Route>
          <Route path="/queues/:id/review">{(params) => <ReviewPage id={Number(params.id)} />}</Route>
          <Route path="/monitoring" component={DashboardPage} />
          <Route path="/datasets" component={DatasetsPage} />
          <Route path="/datasets/*">
            {(params) => <DatasetPage name={decodeURIComponent(params['*'] ?? '')} />}
          </Route>
          <Route path="/account" component={AccountPage} />
          <Route path="/settings" component={() => <SettingsPage section={undefined} />} />
          <Route path="/settings/:section">{(params) => <SettingsPage section={params.section} />}</Route>
          <Route>
            <NotFound />
          </Route>
        </Switch>
      </Suspense>
    </Layout>
  );
}
