import { useMutation, useQuery } from '@tanstack/react-query';
import { peopleApi } from '../api/people.ts';

/**
 * The project switcher in the top bar: the person's projects — for an instance admin every project,
 * those they are not a member of marked "enter as admin" (entering makes them its admin, audited
 * there); choosing one moves the session there and reloads the app (every page's data is the
 * project's). Hidden with a single project.
 */
export function ProjectSwitcher() {
  const projects = useQuery({ queryKey: ['projects'], queryFn: peopleApi.projects });
  const change = useMutation({
    mutationFn: (id: number) => peopleApi.switchProject(id),
    onSuccess: () => window.location.assign('/'),
  });
  // The server lists every project to an instance admin (role null where not a member), only
  // their own to anyone else.
  const mine = projects.data ?? [];
  const current = (projects.data ?? []).find((p) => p.current);
  if (!current || mine.length < 2)
    return current ? <span className="muted small">{current.name}</span> : null;
  return (
    <label className="inline small" title={change.error ? String(change.error) : undefined}>
      <span className="sr-only">Project</span>
      <select
        aria-label="Project"
        value={current.id}
        disabled={change.isPending}
        onChange={(e) => change.mutate(Number(e.target.value))}
      >
        {mine.map((p) => (
          <option key={p.id} value={p.id}>
            {p.role === null ? `${p.name} (enter as admin)` : p.name}
          </option>
        ))}
      </select>
    </label>
  );
}
