import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link, useLocation } from 'wouter';
import { api } from '../api/client.ts';
import { ProblemView } from '../components/states.tsx';

/** Registers a prompt with an optional first version. URL: `/prompts/new`. */
export function NewPromptPage() {
  const [, navigate] = useLocation();
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [owner, setOwner] = useState('');
  const [tags, setTags] = useState('');
  const [template, setTemplate] = useState('');
  const create = useMutation({
    mutationFn: () =>
      api.createPrompt({
        name: name.trim(),
        ...(description ? { description } : {}),
        ...(owner ? { owner } : {}),
        tags: tags
          .split(',')
          .map((t) => t.trim())
          .filter(Boolean),
        ...(template.trim()
          ? { version: { type: 'text' as const, template, message: 'First version' } }
          : {}),
      }),
    onSuccess: async (prompt) => {
      await queryClient.invalidateQueries({ queryKey: ['prompts'] });
      navigate(`/prompts/${prompt.name}`);
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  return (
    <div className="narrow">
      <p className="crumbs">
        <Link href="/">Registry</Link> / New prompt
      </p>
      <h1>New prompt</h1>
      <form className="card form" onSubmit={submit}>
        <label>
          Name
          <input
            value={name}
            onChange={(e) => setName(e.target.value)}
            placeholder="support/triage"
            required
            aria-describedby="name-help"
            // biome-ignore lint/a11y/noAutofocus: the form's first field
            autoFocus
          />
          <small id="name-help" className="muted">
            Lowercase letters, digits, “-”, “_” and “.”; folders separated by “/”.
          </small>
        </label>
        <label>
          Description
          <input value={description} onChange={(e) => setDescription(e.target.value)} />
        </label>
        <div className="row">
          <label className="grow">
            Owner
            <input value={owner} onChange={(e) => setOwner(e.target.value)} placeholder="team-support" />
          </label>
          <label className="grow">
            Tags
            <input value={tags} onChange={(e) => setTags(e.target.value)} placeholder="support, triage" />
          </label>
        </div>
        <label>
          First version (text template, optional)
          <textarea
            value={template}
            onChange={(e) => setTemplate(e.target.value)}
            rows={6}
            className="mono"
            placeholder="You are a support agent. Classify: {{ticket}}"
          />
        </label>
        <div className="row end">
          <Link href="/" className="button">
            Cancel
          </Link>
          <button type="submit" className="primary" disabled={create.isPending || name.trim() === ''}>
            {create.isPending ? 'Creating…' : 'Create prompt'}
          </button>
        </div>
        {create.error ? <ProblemView error={create.error} /> : null}
      </form>
    </div>
  );
}
