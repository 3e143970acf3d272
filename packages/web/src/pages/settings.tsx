import { Link, Redirect } from 'wouter';
import { ApiKeysPage } from './settings/api-keys.tsx';
import { EnvironmentsPage } from './settings/environments.tsx';
import { PeoplePage } from './settings/people.tsx';
import { PricesPage } from './settings/prices.tsx';
import { ProjectsPage } from './settings/projects.tsx';
import { ProvidersPage } from './settings/providers.tsx';

const SECTIONS = [
  { id: 'environments', label: 'Environments', page: EnvironmentsPage },
  { id: 'providers', label: 'Providers', page: ProvidersPage },
  { id: 'prices', label: 'Prices', page: PricesPage },
  { id: 'api-keys', label: 'API keys', page: ApiKeysPage },
  { id: 'people', label: 'People', page: PeoplePage },
  { id: 'projects', label: 'Projects', page: ProjectsPage },
] as const;

/** The project's settings, one section per URL: `/settings/<environments|providers|prices|api-keys|people|projects>`. */
export default function SettingsPage({ section }: { section: string | undefined }) {
  const current = SECTIONS.find((s) => s.id === section);
  if (!current) return <Redirect to="/settings/environments" replace />;
  const Page = current.page;
  return (
    <div className="stack">
      <div className="toolbar">
        <h1 className="grow">Settings</h1>
      </div>
      <nav className="tabs" aria-label="Settings sections">
        {SECTIONS.map((s) => (
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
      <Page />
    </div>
  );
}
