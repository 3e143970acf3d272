import { lazy, type ReactNode, Suspense, useState } from 'react';
import { Link, useLocation } from 'wouter';
import { signOut } from '../api/auth.ts';
import { applyTheme, initialTheme, type Theme } from '../lib/theme.ts';
import { ProjectSwitcher } from './project-switcher.tsx';

// Its own chunk: the first page's budget holds, the bell appears a moment later.
const NotificationBell = lazy(() => import('./notification-bell.tsx'));

const NAV = [
  { href: '/', label: 'Registry', match: (p: string) => p === '/' || p.startsWith('/prompts') },
  { href: '/playground', label: 'Playground', match: (p: string) => p.startsWith('/playground') },
  { href: '/evals', label: 'Evals', match: (p: string) => p.startsWith('/evals') },
  { href: '/monitoring', label: 'Monitoring', match: (p: string) => p.startsWith('/monitoring') },
  { href: '/traces', label: 'Traces', match: (p: string) => p.startsWith('/traces') },
  { href: '/queues', label: 'Annotate', match: (p: string) => p.startsWith('/queues') },
  { href: '/datasets', label: 'Datasets', match: (p: string) => p.startsWith('/datasets') },
  { href: '/rollouts', label: 'Rollouts', match: (p: string) => p.startsWith('/rollouts') },
  { href: '/requests', label: 'Reviews', match: (p: string) => p.startsWith('/requests') },
  { href: '/audit', label: 'Audit', match: (p: string) => p.startsWith('/audit') },
  { href: '/settings', label: 'Settings', match: (p: string) => p.startsWith('/settings') },
];

/** The app frame: top bar with navigation, theme switch and sign-out. */
export function Layout({ children }: { children: ReactNode }) {
  const [location, navigate] = useLocation();
  const [theme, setTheme] = useState<Theme>(() => document.documentElement.dataset.theme as Theme);
  const toggle = () => {
    const next = theme === 'dark' ? 'light' : 'dark';
    applyTheme(next);
    setTheme(next);
  };
  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link href="/" className="brand">
          Promptline
        </Link>
        <nav aria-label="Main">
          {NAV.map((n) => (
            <Link key={n.href} href={n.href} className={n.match(location) ? 'nav-link active' : 'nav-link'}>
              {n.label}
            </Link>
          ))}
        </nav>
        <div className="topbar-actions">
          <Suspense fallback={null}>
            <NotificationBell />
          </Suspense>
          <ProjectSwitcher />
          <button
            type="button"
            className="ghost"
            onClick={toggle}
            aria-label={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`}
          >
            {theme === 'dark' ? '☀ Light' : '☾ Dark'}
          </button>
          <Link href="/account" className={location === '/account' ? 'nav-link active' : 'nav-link'}>
            Account
          </Link>
          <button
            type="button"
            className="ghost"
            onClick={async () => {
              await signOut();
              navigate('/sign-in');
            }}
          >
            Sign out
          </button>
        </div>
      </header>
      <main id="main" className="main">
        {children}
      </main>
    </div>
  );
}

export { initialTheme };
