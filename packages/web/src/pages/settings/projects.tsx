import type { CreatedProject } from '@promptline/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { peopleApi } from '../../api/people.ts';
import { CreateForm, ShownOnce } from '../../components/sections.tsx';
import { QueryView } from '../../components/states.tsx';

/** Projects of the instance: the caller's, and creating one (instance admins). URL: `/settings/projects`. */
export function ProjectsPage() {
  const queryClient = useQueryClient();
  const projects = useQuery({ queryKey: ['projects'], queryFn: peopleApi.projects });
  const [name, setName] = useState('');
  const [created, setCreated] = useState<CreatedProject | null>(null);
  const create = useMutation({
    mutationFn: () => peopleApi.createProject(name.trim()),
    onSuccess: async (project) => {
      setName('');
      setCreated(project);
      await queryClient.invalidateQueries({ queryKey: ['projects'] });
    },
  });
  return (
    <div className="stack">
      <CreateForm
        title="Create a project"
        submitLabel="Create project"
        pending={create.isPending}
        disabled={!name.trim()}
        error={create.error}
        onSubmit={() => create.mutate()}
      >
        <p className="muted small">
          Instance admins only. It starts with development, staging and production, and you as its admin;
          switch to it with the project menu in the top bar.
        </p>
        <div className="row wrap">
          <label className="grow">
            Project name
            <input
              value={name}
              onChange={(e) => setName(e.target.value)}
              placeholder="e.g. support-bot"
              pattern="[a-z0-9][a-z0-9\-]*"
              maxLength={63}
              required
            />
          </label>
        </div>
      </CreateForm>
      {created ? (
        <ShownOnce
          label="New project"
          value={created.apiKey.key}
          valueTestId="project-key"
          copyLabel="Copy key"
        >
          Project “{created.project.name}” created. Its admin key (acting as you) is shown only once:
        </ShownOnce>
      ) : null}
      <QueryView query={projects} loadingLabel="Loading projects…">
        {(items) => (
          <table className="table" aria-label="Projects">
            <thead>
              <tr>
                <th>Project</th>
                <th>Your role</th>
              </tr>
            </thead>
            <tbody>
              {items.map((p) => (
                <tr key={p.id}>
                  <td>
                    {p.name} {p.current ? <span className="badge">current</span> : null}
                  </td>
                  <td>{p.role ?? 'not a member (instance admin)'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </QueryView>
    </div>
  );
}
