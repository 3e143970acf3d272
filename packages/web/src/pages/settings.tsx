import { useQuery } from '@tanstack/react-query';
import { lazy, Suspense } from 'react';
import { Link, Redirect } from 'wouter';
import { request } from '../api/client.ts';
import { Loading } from '../components/states.tsx';
import { ApiKeysPage } from './settings/api-keys.tsx';
import { EnvironmentsPage } from './settings/environments.tsx';
import { PeoplePage } from './settings/people.tsx';
import { PricesPage } from './settings/prices.tsx';
import { ProjectsPage } from './settings/projects.tsx';
import { ProvidersPage } from './settings/providers.tsx';
import { SecurityLogPage } from './settings/security.tsx';

// Alerts and webhooks are their own chunks: most visits to settings never open them.
const AlertsPage = lazy(() => import('./settings/alerts.tsx').then((m) => ({ default: m.AlertsPage })));
const WebhooksPage = lazy(() => import('./settings/webhooks.tsx').then((m) => ({ default: m.WebhooksPage })));

const SECTIONS = [
  { id: 'environments', label: 'Environments', page: EnvironmentsPage },
  { id: 'providers', label: 'Providers', page: ProvidersPage },
  { id: 'prices', label: 'Prices', page: PricesPage },
  { id: 'api-keys', label: 'API keys', page: ApiKeysPage },
  { id: 'people', label: 'People', page: PeoplePage },
  { id: 'projects', label: 'Projects', page: ProjectsPage },
  { id: 'alerts', label: 'Alerts', page: AlertsPage },
  { id: 'webhooks', label: 'Webhooks', page: WebhooksPage },
  { id: 'security', label: 'Security log', page: SecurityLogPage, instanceAdmins: true },
] as const;

/**
 * The project's settings, one section per URL: `/settings/<environments|providers|prices|api-keys|people|projects|alerts|webhooks>`,
 * and for instance admins `/settings/security` (the instance security log).
 */
export default function SettingsPage({ section }: { section: string | undefined }) {
  const me = useQuery({
    queryKey: ['whoami'],
    queryFn: () => request<{ user: { instanceAdmin: boolean } }>('/session'),
  });
  const instanceAdmin = me.data?.user.instanceAdmin === true;
  const current = SECTIONS.find((s) => s.id === section);
  if (!current) return <Redirect to="/settings/environments" replace />;
  const Page = current.page;
  return (
    <div className="stack">
      <div className="toolbar">
        <h1 className="grow">Settings</h1>
      </div>
      <nav className="tabs" aria-label="Settings sections">
        {SECTIONS.filter((s) => !('instanceAdmins' in s) || instanceAdmin || s.id === current.id).map((s) => (
          <Link
            key={s.id}
            href={`/settings/${s.id}`}
            className={s.id === current.id ? 'tab active' : 'tab'}
            aria-current={s.id === current.id ? 'page' : undefined}
          >
            {s.label}
          </Link>
        ))}
      </nav>
      <Suspense fallback={<Loading />}>
        <Page />
      </Suspense>
    </div>
  );
}
