/**
 * The in-memory resolution structures: a snapshot turned, once per change, into one entry per prompt
 * holding a ready `ResolvedPrompt` per variant. `client.prompt()` then costs a Map lookup, a bucket
 * hash when the release has several variants, and an array index — no allocation.
 */
import {
  AppError,
  type ChatMessage,
  type ContextAttributes,
  chooseServed,
  chooseVariant,
  compileTemplate,
  extractPartials,
  extractVariables,
  findSchemaIssues,
  type ModelConfig,
  type RenderedMessage,
  renderContent,
  type Snapshot,
  type SnapshotVersion,
  type Targeting,
  targetedVersions,
  toJsonSchema,
  type Variant,
  type VersionContent,
} from '@promptline/core';
import type {
  FallbackPrompt,
  PromptSource,
  RenderOptions,
  ResolvedChatPrompt,
  ResolvedPrompt,
  ResolvedTextPrompt,
  Variables,
} from './types.ts';

type PartialLookup = (name: string) => string | undefined;

/** One prompt of the current snapshot (or a fallback), ready to resolve. */
export interface PromptEntry {
  readonly variants: readonly Variant[];
  /**
   * `resolved[i]` serves entry i of the served list (the variants, then the versions only the
   * targeting serves); empty when the release is disabled (kill switch).
   */
  readonly resolved: readonly ResolvedPrompt[];
  readonly enabled: boolean;
  /** Pins and rules tried before the split; absent when none (the pick is then a hash at most). */
  readonly targeting?: Targeting;
  /**
   * Set when a variant includes partials that are themselves split or targeted: that variant is
   * rebuilt per call, bound to the caller (rare; everything else is shared and allocation-free).
   */
  readonly bindToUnit?: (
    variant: number,
    unit: string | undefined,
    attributes?: ContextAttributes,
  ) => ResolvedPrompt | undefined;
  /** Some variant includes partials: its rendering depends on other releases, so it is rebuilt with them. */
  readonly usesPartials?: boolean;
}

const STRICT = { strict: true } as const;

/**
 * Looks partials up as the server's render does: `{{> name}}` includes what the environment serves
 * for `name`, its variant picked for the same unit; a partial that is not deployed there or is
 * switched off is not found.
 */
function partialLookup(
  snapshot: () => Snapshot | undefined,
  unit: string | undefined,
  attributes?: ContextAttributes,
): PartialLookup {
  return (name) => {
    const held = snapshot();
    const entry = held?.prompts[name];
    if (entry === undefined || !entry.enabled || entry.variants.length === 0) return undefined;
    const index =
      entry.targeting === undefined
        ? chooseVariant(name, entry.variants, unit)
        : chooseServed(name, entry, held?.segments ?? {}, { unit, attributes });
    const number =
      entry.variants[index]?.version ??
      targetedVersions(entry.variants, entry.targeting)[index - entry.variants.length];
    const version = number === undefined ? undefined : entry.versions[String(number)];
    return version?.type === 'text' ? version.template : undefined;
  };
}

/**
 * True when some partial `content` includes, directly or not, is served with several variants: its
 * rendering then depends on the unit and cannot be shared between units.
 */
function dependsOnUnit(snapshot: Snapshot, content: VersionContent): boolean {
  const seen = new Set<string>();
  const pending = extractPartials(content);
  for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
    if (seen.has(name)) continue;
    seen.add(name);
    const entry = snapshot.prompts[name];
    if (entry === undefined || !entry.enabled) continue;
    if (entry.variants.length > 1 || entry.targeting !== undefined) return true;
    const version = entry.versions[String(entry.variants[0]?.version)];
    if (version?.type === 'text') {
      try {
        pending.push(...compileTemplate(version.template).partials);
      } catch {
        // A broken partial fails the render that includes it; it cannot make it unit-dependent.
      }
    }
  }
  return false;
}

interface Meta {
  name: string;
  version: number;
  semver: string;
  variant: number;
  environment: string;
  config: ModelConfig;
  variables: readonly string[];
  hash: string;
  source: PromptSource;
}

/**
 * The input check of a version that declares `config.input.schema`, or null. It runs before every
 * strict render (the default) and throws INPUT_INVALID naming each field, as the server's render
 * does; the schema is converted once, here.
 */
function inputCheck(meta: Meta): ((variables: Variables) => void) | null {
  const schema = meta.config.input?.schema;
  if (!schema) return null;
  const json = toJsonSchema(schema);
  return (variables) => {
    const issues = findSchemaIssues(json, variables);
    if (issues.length === 0) return;
    const errors = issues.map((i) => ({
      path: i.path === '' ? 'variables' : `variables.${i.path}`,
      message: i.message,
    }));
    throw new AppError(
      'INPUT_INVALID',
      `The variables do not match the input schema of "${meta.name}": ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}.`,
      { errors },
    );
  };
}

function buildText(meta: Meta, template: string, partials: PartialLookup): ResolvedTextPrompt {
  // Held here, not looked up per render: core's template cache is an LRU and may evict it.
  const compiled = compileTemplate(template);
  // Preallocated so a strict render (the default) allocates nothing besides its output.
  const strictOptions = { strict: true, partials };
  const lenientOptions = { strict: false, partials };
  const check = inputCheck(meta);
  return Object.freeze({
    ...meta,
    type: 'text' as const,
    template,
    render(variables: Variables = {}, options: RenderOptions = STRICT): string {
      if (check && options.strict !== false) check(variables);
      return compiled.render(variables, options.strict === false ? lenientOptions : strictOptions);
    },
  });
}

function buildChat(
  meta: Meta,
  messages: readonly ChatMessage[],
  partials: PartialLookup,
): ResolvedChatPrompt {
  // Compile now so a syntax error surfaces when the snapshot arrives, not at the first render.
  for (const message of messages) if (!('type' in message)) compileTemplate(message.content);
  // Rendered by core's renderContent, the server's own function, so placeholders and the
  // "every missing name in one error" rule behave the same on both sides.
  const content = { type: 'chat' as const, messages: messages as ChatMessage[] };
  const strictOptions = { strict: true, partials };
  const lenientOptions = { strict: false, partials };
  const check = inputCheck(meta);
  return Object.freeze({
    ...meta,
    type: 'chat' as const,
    messages,
    render(variables: Variables = {}, options: RenderOptions = STRICT): RenderedMessage[] {
      if (check && options.strict !== false) check(variables);
      const rendered = renderContent(
        content,
        variables,
        options.strict === false ? lenientOptions : strictOptions,
      );
      return rendered.type === 'chat' ? rendered.messages : [{ role: 'user', content: rendered.text }];
    },
  });
}

function buildVersion(
  name: string,
  environment: string,
  variant: number,
  version: SnapshotVersion,
  source: PromptSource,
  partials: PartialLookup,
): ResolvedPrompt {
  const meta: Meta = {
    name,
    version: version.number,
    semver: version.semver,
    variant,
    environment,
    config: version.config,
    variables: version.variables,
    hash: version.hash,
    source,
  };
  return version.type === 'text'
    ? buildText(meta, version.template, partials)
    : buildChat(meta, version.messages, partials);
}

/**
 * Turns a snapshot into entries. A variant whose version is missing from the snapshot (a server
 * bug) is reported through `onProblem` and the entry is left out, so the fallback serves instead.
 */
export function buildEntries(
  snapshot: Snapshot,
  source: 'server' | 'cache',
  onProblem: (error: AppError) => void,
): Map<string, PromptEntry> {
  const build = entryBuilder(snapshot, source, onProblem);
  const entries = new Map<string, PromptEntry>();
  for (const [name, release] of Object.entries(snapshot.prompts)) {
    const entry = build(name, release);
    if (entry !== undefined) entries.set(name, entry);
  }
  return entries;
}

/**
 * Entries of `snapshot` made from those of the snapshot before it when only the releases named in
 * `changed` differ (a delta from the stream): the others are kept as they are, except entries that
 * include partials, which are rebuilt because a partial may be among the changes. A change then
 * costs what it changed, not the size of the environment.
 */
export function updateEntries(
  previous: ReadonlyMap<string, PromptEntry>,
  snapshot: Snapshot,
  changed: Iterable<string>,
  source: 'server' | 'cache',
  onProblem: (error: AppError) => void,
): Map<string, PromptEntry> {
  const build = entryBuilder(snapshot, source, onProblem);
  const entries = new Map(previous);
  const rebuild = new Set(changed);
  for (const [name, entry] of previous) if (entry.usesPartials === true) rebuild.add(name);
  for (const name of rebuild) {
    entries.delete(name);
    const release = snapshot.prompts[name];
    const entry = release === undefined ? undefined : build(name, release);
    if (entry !== undefined) entries.set(name, entry);
  }
  return entries;
}

/**
 * Builds one entry of a snapshot. A variant whose version is missing from the snapshot (a server
 * bug) is reported through `onProblem` and the entry is left out, so the fallback serves instead.
 */
function entryBuilder(
  snapshot: Snapshot,
  source: 'server' | 'cache',
  onProblem: (error: AppError) => void,
): (name: string, release: Snapshot['prompts'][string]) => PromptEntry | undefined {
  const current = (): Snapshot => snapshot;
  const shared = partialLookup(current, undefined);
  return (name, release) => {
    if (release.variants.length === 0) return undefined;
    if (!release.enabled) return { variants: release.variants, resolved: [], enabled: false };
    const targeting = release.targeting === undefined ? {} : { targeting: release.targeting };
    try {
      const served = [
        ...release.variants.map((v) => v.version),
        ...targetedVersions(release.variants, release.targeting),
      ];
      const versions = served.map((number) => {
        const version = release.versions[String(number)];
        if (version === undefined) {
          throw new AppError(
            'VERSION_NOT_FOUND',
            `The snapshot of "${snapshot.environment}" deploys ${name} v${number} without its content; upgrade the Promptline server. Serving the fallback for ${name}.`,
          );
        }
        return version;
      });
      const resolved = versions.map((version, i) =>
        buildVersion(name, snapshot.environment, i, version, source, shared),
      );
      const usesPartials = versions.some((version) => extractPartials(version).length > 0);
      const perUnit = versions.map((version) => usesPartials && dependsOnUnit(snapshot, version));
      return perUnit.includes(true)
        ? {
            variants: release.variants,
            resolved,
            enabled: true,
            usesPartials,
            ...targeting,
            bindToUnit: (i, unit, attributes) => {
              const version = versions[i];
              if (version === undefined) return undefined;
              return perUnit[i] === true
                ? buildVersion(
                    name,
                    snapshot.environment,
                    i,
                    version,
                    source,
                    partialLookup(current, unit, attributes),
                  )
                : resolved[i];
            },
          }
        : { variants: release.variants, resolved, enabled: true, usesPartials, ...targeting };
    } catch (error) {
      onProblem(
        error instanceof AppError
          ? error
          : new AppError(
              'TEMPLATE_SYNTAX',
              `Prompt "${name}" in the snapshot does not compile: ${String(error)}`,
              {
                cause: error,
              },
            ),
      );
      return undefined;
    }
  };
}

/** Builds the entry of an application-supplied fallback prompt. */
export function buildFallback(
  name: string,
  environment: string,
  fallback: FallbackPrompt,
  snapshot: () => Snapshot | undefined,
): PromptEntry {
  // A fallback's partials come from whatever snapshot is live when it renders.
  const partials = partialLookup(snapshot, undefined);
  const meta: Meta = {
    name,
    version: 0,
    semver: '0.0.0',
    variant: 0,
    environment,
    config: fallback.config ?? {},
    variables: extractVariables(fallback),
    hash: '',
    source: 'fallback',
  };
  const resolved =
    fallback.type === 'text'
      ? buildText(meta, fallback.template, partials)
      : buildChat(meta, fallback.messages, partials);
  return { variants: [{ version: 0, weight: 10_000 }], resolved: [resolved], enabled: true };
}

/**
 * Picks the resolved prompt of an entry for a unit and its attributes (the same pick as the
 * server's `resolve`: pins and rules first, then the split), or undefined when the release is
 * switched off. `segments` are the snapshot's.
 */
export function pick(
  name: string,
  entry: PromptEntry,
  unit: string | undefined,
  attributes?: ContextAttributes,
  segments?: Snapshot['segments'],
): ResolvedPrompt | undefined {
  const { resolved } = entry;
  if (resolved.length === 0) return undefined;
  const variant =
    entry.targeting !== undefined
      ? chooseServed(name, entry, segments ?? {}, { unit, attributes })
      : resolved.length === 1
        ? 0
        : chooseVariant(name, entry.variants, unit);
  return entry.bindToUnit === undefined ? resolved[variant] : entry.bindToUnit(variant, unit, attributes);
}

/** A plain object (not null, not an array): the shape checks of snapshots and configs start here. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Rules with a condition and a version, pins with a unit and a version: what the pick reads. */
function targetingShape(value: unknown): boolean {
  if (!isRecord(value)) return false;
  const { rules, pins } = value;
  if (
    rules !== undefined &&
    !(
      Array.isArray(rules) &&
      rules.every((r) => isRecord(r) && isRecord(r.when) && typeof r.version === 'number')
    )
  )
    return false;
  return (
    pins === undefined ||
    (Array.isArray(pins) &&
      pins.every((p) => isRecord(p) && typeof p.unit === 'string' && typeof p.version === 'number'))
  );
}

function isVersion(value: unknown): boolean {
  if (!isRecord(value) || typeof value.number !== 'number' || typeof value.semver !== 'string') return false;
  if (!isRecord(value.config) || !Array.isArray(value.variables) || typeof value.hash !== 'string')
    return false;
  if (value.type === 'text') return typeof value.template === 'string';
  return (
    value.type === 'chat' &&
    Array.isArray(value.messages) &&
    value.messages.every(
      (m) =>
        isRecord(m) &&
        (m.type === 'placeholder'
          ? typeof m.name === 'string'
          : typeof m.role === 'string' && typeof m.content === 'string'),
    )
  );
}

/**
 * Checks that a value has the `Snapshot` shape the resolution relies on, and says what is wrong
 * (undefined when it is fine). Core's zod schema describes the same shape; it is not used here
 * because importing it would pull zod into every application bundle (~100 kB gzipped) for a
 * document the server has already serialised through that schema.
 */
export function snapshotProblem(value: unknown): string | undefined {
  if (!isRecord(value)) return 'not an object';
  if (typeof value.environment !== 'string') return '"environment" is not a string';
  if (typeof value.etag !== 'string') return '"etag" is not a string';
  if (!isRecord(value.prompts)) return '"prompts" is not an object';
  for (const [name, release] of Object.entries(value.prompts)) {
    if (!isRecord(release) || typeof release.enabled !== 'boolean' || !Array.isArray(release.variants)) {
      return `prompts["${name}"] is not a release`;
    }
    for (const variant of release.variants) {
      if (!isRecord(variant) || typeof variant.version !== 'number' || typeof variant.weight !== 'number') {
        return `prompts["${name}"].variants holds an invalid variant`;
      }
    }
    if (!isRecord(release.versions)) return `prompts["${name}"].versions is not an object`;
    if (release.targeting !== undefined && !targetingShape(release.targeting)) {
      return `prompts["${name}"].targeting is not a targeting`;
    }
    for (const [key, version] of Object.entries(release.versions)) {
      if (!isVersion(version)) return `prompts["${name}"].versions["${key}"] is not a version`;
    }
  }
  return undefined;
}

/**
 * Names of prompts whose release or served content differ between two snapshots; only among
 * `candidates` when given (the names a delta carries: the others are the same objects).
 */
export function changedPrompts(
  before: Snapshot | undefined,
  after: Snapshot,
  candidates?: readonly string[],
): string[] {
  const changed: string[] = [];
  const signature = (release: Snapshot['prompts'][string] | undefined): string =>
    release === undefined
      ? ''
      : JSON.stringify([
          release.enabled,
          release.variants.map((v) => [v.version, v.weight, release.versions[String(v.version)]?.hash ?? '']),
          release.targeting ?? null,
          targetedVersions(release.variants, release.targeting).map(
            (n) => release.versions[String(n)]?.hash ?? '',
          ),
        ]);
  if (candidates !== undefined) {
    return candidates.filter((name) => signature(before?.prompts[name]) !== signature(after.prompts[name]));
  }
  for (const name of Object.keys(after.prompts)) {
    if (signature(before?.prompts[name]) !== signature(after.prompts[name])) changed.push(name);
  }
  if (before !== undefined) {
    for (const name of Object.keys(before.prompts)) if (!(name in after.prompts)) changed.push(name);
  }
  return changed;
}
