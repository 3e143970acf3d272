import { HARMFUL_PLUGINS } from './plugins-harmful.ts';
import { SECURITY_PLUGINS } from './plugins-security.ts';
import type { PluginDef } from './types.ts';

/** Every shipped plugin: security first, then harmful content. */
export const PLUGINS: readonly PluginDef[] = [...SECURITY_PLUGINS, ...HARMFUL_PLUGINS];

/** The plugin with this id, or undefined. */
export function findPlugin(id: string): PluginDef | undefined {
  return PLUGINS.find((p) => p.id === id);
}
