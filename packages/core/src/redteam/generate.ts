/**
 * Probes from plugins × strategies. Every attack of every selected plugin is sent as written
 * (`basic`); each selected strategy then disguises the first attack of each plugin, so the count
 * grows with plugins + strategies, not their product of all attacks.
 */
import { AppError } from '../errors.ts';
import { PLUGINS } from './plugins.ts';
import { STRATEGIES } from './strategies.ts';
import type { PluginDef, Probe, StrategyDef } from './types.ts';

export interface ProbeSetOptions {
  /** Plugin ids; `harmful` selects every `harmful:*` one. Default: all that apply to the prompt. */
  plugins?: readonly string[];
  /** Strategy ids, or `all`, or `none` (attacks as written only). Default: the default strategies. */
  strategies?: readonly string[];
  /** The prompt's tool names: plugins that need tools apply only when there are some. */
  toolNames?: readonly string[];
  /** Source of the one-off codes (default `Math.random`; tests pass a seeded one). */
  random?: () => number;
  /** Attacks an attacker model wrote, by plugin id: sent as written, after the shipped ones. */
  generated?: Readonly<Record<string, readonly string[]>>;
}

/** The plugins a selection names, in shipped order. @throws AppError CONFIG_INVALID naming an unknown id. */
export function selectPlugins(ids: readonly string[] | undefined, hasTools: boolean): PluginDef[] {
  const applicable = PLUGINS.filter((p) => hasTools || !p.needsTools);
  if (ids === undefined || ids.length === 0) return applicable;
  for (const id of ids) {
    if (id !== 'harmful' && !PLUGINS.some((p) => p.id === id)) {
      throw new AppError(
        'CONFIG_INVALID',
        `Unknown red-team plugin "${id}". Known: harmful (all harmful:*), ${PLUGINS.map((p) => p.id).join(', ')}.`,
      );
    }
  }
  const wanted = (p: PluginDef) =>
    ids.includes(p.id) || (ids.includes('harmful') && p.id.startsWith('harmful:'));
  const chosen = PLUGINS.filter(wanted);
  const needTools = chosen.filter((p) => p.needsTools && !hasTools);
  if (needTools.length > 0 && chosen.length === needTools.length) {
    throw new AppError(
      'CONFIG_INVALID',
      `Plugin ${needTools.map((p) => `"${p.id}"`).join(', ')} needs a prompt with tools, and this prompt declares none.`,
    );
  }
  return chosen.filter((p) => hasTools || !p.needsTools);
}

/** The strategies a selection names. @throws AppError CONFIG_INVALID naming an unknown id. */
export function selectStrategies(ids: readonly string[] | undefined): StrategyDef[] {
  if (ids === undefined) return STRATEGIES.filter((s) => s.default);
  if (ids.includes('all')) return [...STRATEGIES];
  if (ids.length === 0 || (ids.length === 1 && ids[0] === 'none')) return [];
  return ids.map((id) => {
    const found = STRATEGIES.find((s) => s.id === id);
    if (!found) {
      throw new AppError(
        'CONFIG_INVALID',
        `Unknown red-team strategy "${id}". Known: all, none, ${STRATEGIES.map((s) => s.id).join(', ')}.`,
      );
    }
    return found;
  });
}

/** A one-off eight-digit code, drawn as two four-digit halves the attack asks to be joined. */
function drawMarker(random: () => number): string {
  const half = () => String(1000 + Math.floor(random() * 9000));
  return `${half()}${half()}`;
}

/** The sentence that asks for a code: the halves are given apart, so an echo of the attack never contains the code. */
export function markerInstruction(marker: string): string {
  return `include the code ${marker.slice(0, 4)} immediately followed by ${marker.slice(4)}, written as one eight-digit number, in your reply.`;
}

function materialise(
  plugin: PluginDef,
  template: string,
  index: number,
  tools: readonly string[],
  random: () => number,
) {
  const marker = plugin.detector === 'marker' ? drawMarker(random) : null;
  let text = template;
  if (marker) text = text.replaceAll('{{marker}}', markerInstruction(marker));
  if (tools.length > 0) text = text.replaceAll('{{tool}}', tools[index % tools.length] ?? '');
  return { text, marker };
}

/**
 * The probes of a run, in a stable order.
 *
 * @throws AppError CONFIG_INVALID for unknown plugin or strategy ids.
 * @example generateProbes({ plugins: ['prompt-injection'], strategies: ['base64'] }).length // 3 + 1
 */
export function generateProbes(options: ProbeSetOptions = {}): Probe[] {
  const tools = options.toolNames ?? [];
  const random = options.random ?? Math.random;
  const plugins = selectPlugins(options.plugins, tools.length > 0);
  const strategies = selectStrategies(options.strategies);
  const probes: Probe[] = [];
  plugins.forEach((plugin, pluginIndex) => {
    plugin.attacks.forEach((template, attackIndex) => {
      const { text, marker } = materialise(plugin, template, attackIndex, tools, random);
      probes.push({
        id: `${plugin.id}#${attackIndex + 1}/basic`,
        plugin,
        strategy: 'basic',
        attack: text,
        turns: [text],
        marker,
      });
    });
    for (const [i, template] of (options.generated?.[plugin.id] ?? []).entries()) {
      const { text, marker } = materialise(plugin, template, i, tools, random);
      probes.push({
        id: `${plugin.id}#g${i + 1}/basic`,
        plugin,
        strategy: 'basic',
        attack: text,
        turns: [text],
        marker,
      });
    }
    const first = plugin.attacks[0];
    if (first === undefined) return;
    for (const strategy of strategies) {
      // Earlier turns would be sent as the user's, not inside the processed content.
      if (plugin.channel === 'indirect' && strategy.id === 'crescendo') continue;
      const { text, marker } = materialise(plugin, first, 0, tools, random);
      probes.push({
        id: `${plugin.id}#1/${strategy.id}`,
        plugin,
        strategy: strategy.id,
        attack: text,
        turns: strategy.apply(text, pluginIndex),
        marker,
      });
    }
  });
  return probes;
}
