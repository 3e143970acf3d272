import type { Environment, Prompt } from '@promptline/core';
import { useQuery } from '@tanstack/react-query';
import { useVirtualizer } from '@tanstack/react-virtual';
import { memo, useDeferredValue, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { Link, useLocation, useSearch } from 'wouter';
import { api } from '../api/client.ts';
import { Empty, Loading, ProblemView } from '../components/states.tsx';
import { ancestorsOf, buildFolderTree, type FolderNode } from '../lib/folder-tree.ts';
import { formatAgo } from '../lib/format.ts';
import {
  collectOwners,
  collectTags,
  describeRelease,
  filterPrompts,
  formatFilter,
  indexPrompts,
  parseFilter,
  type RegistryFilter,
} from '../lib/registry-filter.ts';

const ROW_HEIGHT = 52;

/** Marks the time a prompt list arrived, so the first render can be measured from it. */
async function loadPrompts(): Promise<Prompt[]> {
  const items = await api.listPrompts();
  performance.mark('registry-data');
  return items;
}

/** The registry: every prompt, searchable and filterable, with a folder tree. URL: `/?q=&tag=&env=&folder=`. */
export function RegistryPage() {
  const prompts = useQuery({ queryKey: ['prompts'], queryFn: loadPrompts });
  const environments = useQuery({ queryKey: ['environments'], queryFn: api.listEnvironments });
  const search = useSearch();
  const [, navigate] = useLocation();
  const urlFilter = useMemo(() => parseFilter(search), [search]);
  // The text box keeps its own state so a keystroke never waits for the router.
  const [q, setQ] = useState(urlFilter.q);
  const filter: RegistryFilter = { ...urlFilter, q };
  const setFilter = (patch: Partial<RegistryFilter>) => {
    const next = { ...filter, ...patch };
    navigate(`/${formatFilter(next)}`, { replace: true });
  };
  const searchBox = useRef<HTMLInputElement>(null);
  // The sidebar (folder tree, tags) renders after the list, so 5 000 prompts show up first.
  const sidebarPrompts = useDeferredValue(prompts.data);
  const tags = useMemo(() => collectTags(sidebarPrompts ?? []), [sidebarPrompts]);
  const owners = useMemo(() => collectOwners(sidebarPrompts ?? []), [sidebarPrompts]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement | null;
      if (
        e.key === '/' &&
        target &&
        !['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName) &&
        !target.isContentEditable
      ) {
        e.preventDefault();
        searchBox.current?.focus();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const envs = useMemo(
    () => (environments.data ?? []).filter((e) => !e.archived).sort((a, b) => a.rank - b.rank),
    [environments.data],
  );

  return (
    <div className="registry">
      <aside className="sidebar" aria-label="Filters">
        <Link href="/prompts/new" className="button primary block">
          New prompt
        </Link>
        <label>
          Tag
          <select value={filter.tag} onChange={(e) => setFilter({ tag: e.target.value })}>
            <option value="">All tags</option>
            {tags.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </label>
        <label>
          Owner
          <select value={filter.owner} onChange={(e) => setFilter({ owner: e.target.value })}>
            <option value="">Any owner</option>
            {owners.map((o) => (
              <option key={o} value={o}>
                {o}
              </option>
            ))}
          </select>
        </label>
        <label>
          Deployed in
          <select value={filter.env} onChange={(e) => setFilter({ env: e.target.value })}>
            <option value="">Any environment</option>
            {envs.map((e) => (
              <option key={e.name} value={e.name}>
                {e.name}
              </option>
            ))}
          </select>
        </label>
        {sidebarPrompts ? (
          <FolderTree
            prompts={sidebarPrompts}
            selected={filter.folder}
            onSelect={(folder) => setFilter({ folder })}
          />
        ) : null}
      </aside>
      <section className="registry-main">
        <div className="toolbar">
          <input
            ref={searchBox}
            type="search"
            className="grow"
            placeholder="Search prompts (press / )"
            aria-label="Search prompts"
            value={q}
            onChange={(e) => {
              performance.mark('registry-filter-start');
              setQ(e.target.value);
              const next = { ...filter, q: e.target.value };
              window.history.replaceState(window.history.state, '', `/${formatFilter(next)}`);
            }}
          />
        </div>
        {prompts.error ? (
          <ProblemView error={prompts.error} onRetry={() => void prompts.refetch()} />
        ) : prompts.isPending ? (
          <Loading label="Loading prompts…" />
        ) : (
          <PromptList prompts={prompts.data} filter={filter} envs={envs} />
        )}
      </section>
    </div>
  );
}

function PromptList({
  prompts,
  filter,
  envs,
}: {
  prompts: Prompt[];
  filter: RegistryFilter;
  envs: Environment[];
}) {
  const indexed = useMemo(() => indexPrompts(prompts), [prompts]);
  const deferredQ = useDeferredValue(filter.q);
  const { tag, owner, env, folder } = filter;
  const visible = useMemo(
    () => filterPrompts(indexed, { q: deferredQ, tag, owner, env, folder }),
    [indexed, deferredQ, tag, owner, env, folder],
  );
  const scroller = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: visible.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 10,
    initialRect: { width: 1000, height: 800 },
  });

  // biome-ignore lint/correctness/useExhaustiveDependencies: runs after each commit of a new filtered list, which `visible` identifies
  useLayoutEffect(() => {
    // Performance marks read by bench/web.bench.ts: first render after the data arrived, and the
    // time from a keystroke to the committed filtered list.
    if (
      performance.getEntriesByName('registry-data').length > 0 &&
      performance.getEntriesByName('registry-render').length === 0
    ) {
      performance.measure('registry-render', 'registry-data');
    }
    if (performance.getEntriesByName('registry-filter-start').length > 0) {
      performance.measure('registry-filter', 'registry-filter-start');
      performance.clearMarks('registry-filter-start');
    }
  }, [visible]);

  if (prompts.length === 0) {
    return (
      <Empty title="No prompts yet">
        <Link href="/prompts/new">Create the first prompt</Link> or register one with{' '}
        <code>npx promptline prompts create</code>.
      </Empty>
    );
  }

  return (
    <div className="prompt-table">
      {/* Column titles for sighted users; each row's cells carry their own labels for screen readers. */}
      <div
        className="prompt-row head"
        aria-hidden="true"
        style={{ gridTemplateColumns: columns(envs.length) }}
      >
        <span>Name</span>
        <span>Tags</span>
        <span>Owner</span>
        {envs.map((e) => (
          <span key={e.name} className="ellipsis" title={e.name}>
            {e.name}
          </span>
        ))}
        <span>Last change</span>
      </div>
      <p className="muted small count" aria-live="polite">
        {visible.length === prompts.length
          ? plural(prompts.length, 'prompt')
          : `${visible.length} of ${plural(prompts.length, 'prompt')}`}
      </p>
      {visible.length === 0 ? (
        <Empty title="No prompt matches these filters">
          Clear the search or pick another folder, tag or environment.
        </Empty>
      ) : (
        <div ref={scroller} className="prompt-scroll">
          <ul
            className="plain"
            aria-label="Prompts"
            style={{ height: virtualizer.getTotalSize(), position: 'relative' }}
          >
            {virtualizer.getVirtualItems().map((item) => {
              const p = visible[item.index];
              return p ? (
                <PromptRow key={p.name} prompt={p} envs={envs} top={item.start} index={item.index} />
              ) : null;
            })}
          </ul>
        </div>
      )}
    </div>
  );
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function columns(envCount: number): string {
  return `minmax(220px, 2.4fr) minmax(100px, 1fr) minmax(80px, 0.7fr) ${'minmax(96px, 0.7fr) '.repeat(envCount)}minmax(90px, 0.7fr)`;
}

const PromptRow = memo(function PromptRow({
  prompt,
  envs,
  top,
  index,
}: {
  prompt: Prompt;
  envs: Environment[];
  top: number;
  index: number;
}) {
  return (
    <li
      className="prompt-row"
      data-index={index}
      style={{ transform: `translateY(${top}px)`, gridTemplateColumns: columns(envs.length) }}
    >
      <span className="name-cell">
        <Link href={`/prompts/${prompt.name}`}>{prompt.name}</Link>
        {prompt.description ? <small className="muted ellipsis">{prompt.description}</small> : null}
      </span>
      <span className="tags">
        {prompt.tags.length > 0 ? <span className="sr-only">Tags: </span> : null}
        {prompt.tags.map((t) => (
          <span className="tag" key={t}>
            {t}
          </span>
        ))}
      </span>
      <span className="ellipsis">
        {prompt.owner ? <span className="sr-only">Owner: </span> : null}
        {prompt.owner || <span className="muted">—</span>}
      </span>
      {envs.map((e) => {
        const release = prompt.deployments?.[e.name];
        return (
          <span key={e.name} className={release?.enabled ? 'release live' : 'release muted'}>
            <span className="sr-only">{e.name}: </span>
            {release ? describeRelease(release) : '—'}
          </span>
        );
      })}
      <span className="muted" title={prompt.updatedAt}>
        {formatAgo(prompt.updatedAt)}
      </span>
    </li>
  );
});

function FolderTree({
  prompts,
  selected,
  onSelect,
}: {
  prompts: Prompt[];
  selected: string;
  onSelect: (folder: string) => void;
}) {
  const tree = useMemo(() => buildFolderTree(prompts.map((p) => p.name)), [prompts]);
  const [open, setOpen] = useState<Set<string>>(() => new Set(ancestorsOf(selected)));
  const toggle = (path: string) =>
    setOpen((s) => {
      const next = new Set(s);
      if (next.has(path)) next.delete(path);
      else next.add(path);
      return next;
    });
  const renderNode = (node: FolderNode, depth: number) => (
    <li key={node.path}>
      <div className="tree-line" style={{ paddingLeft: depth * 12 }}>
        {node.children.length > 0 ? (
          <button
            type="button"
            className="twisty"
            onClick={() => toggle(node.path)}
            aria-expanded={open.has(node.path)}
            aria-label={`${open.has(node.path) ? 'Collapse' : 'Expand'} ${node.path}`}
          >
            {open.has(node.path) ? '▾' : '▸'}
          </button>
        ) : (
          <span className="twisty" />
        )}
        <button
          type="button"
          className={selected === node.path ? 'folder active' : 'folder'}
          aria-current={selected === node.path ? 'true' : undefined}
          onClick={() => onSelect(node.path)}
        >
          {node.name}/ <span className="muted">{node.count}</span>
        </button>
      </div>
      {node.children.length > 0 && open.has(node.path) ? (
        <ul>{node.children.map((c) => renderNode(c, depth + 1))}</ul>
      ) : null}
    </li>
  );
  return (
    <nav aria-label="Folders" className="folder-tree">
      <ul>
        <li>
          <div className="tree-line">
            <span className="twisty" />
            <button
              type="button"
              className={selected === '' ? 'folder active' : 'folder'}
              aria-current={selected === '' ? 'true' : undefined}
              onClick={() => onSelect('')}
            >
              All prompts <span className="muted">{tree.count}</span>
            </button>
          </div>
        </li>
        {tree.children.map((c) => renderNode(c, 0))}
      </ul>
    </nav>
  );
}
