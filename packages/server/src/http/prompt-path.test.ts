/**
 * Prompt names with a bare "/" in a path are re-encoded before routing (http/prompt-path.ts);
 * names without one, the usual case, pass through a shortcut that must agree with the full rule.
 */
import { expect, it } from 'vitest';
import { encodePromptPath } from './prompt-path.ts';

const CASES: Array<[string, string]> = [
  ['/api/v1/prompts/x', '/api/v1/prompts/x'],
  ['/api/v1/prompts/x?env=production', '/api/v1/prompts/x?env=production'],
  ['/api/v1/prompts/x/resolve?env=production&unit=u/1', '/api/v1/prompts/x/resolve?env=production&unit=u/1'],
  ['/api/v1/prompts/a/b/resolve?env=production', '/api/v1/prompts/a%2Fb/resolve?env=production'],
  ['/api/v1/prompts/a%2Fb/resolve?env=production', '/api/v1/prompts/a%2Fb/resolve?env=production'],
  ['/api/v1/prompts/a/b', '/api/v1/prompts/a%2Fb'],
  ['/api/v1/prompts/a/b/c', '/api/v1/prompts/a%2Fb%2Fc'],
  ['/api/v1/prompts/x/versions', '/api/v1/prompts/x/versions'],
  ['/api/v1/prompts/x/versions/3', '/api/v1/prompts/x/versions/3'],
  ['/api/v1/prompts/a/b/versions/3', '/api/v1/prompts/a%2Fb/versions/3'],
  ['/api/v1/prompts/x/unknown', '/api/v1/prompts/x%2Funknown'],
  ['/api/v1/prompts/x/', '/api/v1/prompts/x/'],
  ['/api/v1/prompts/x/resolve/', '/api/v1/prompts/x/resolve/'],
  ['/api/v1/prompts/a/b/resolve/', '/api/v1/prompts/a%2Fb/resolve'],
  ['/api/v1/prompts/x/deployments/production/rollback', '/api/v1/prompts/x/deployments/production/rollback'],
  [
    '/api/v1/prompts/a/b/deployments/production/rollback',
    '/api/v1/prompts/a%2Fb/deployments/production/rollback',
  ],
  ['/api/v1/prompts/x/metrics/compare?env=p', '/api/v1/prompts/x/metrics/compare?env=p'],
  ['/api/v1/prompts/x/branches/exp/compare', '/api/v1/prompts/x/branches/exp/compare'],
  ['/api/v1/prompts/resolve/resolve', '/api/v1/prompts/resolve/resolve'],
  ['/api/v1/prompts?limit=5', '/api/v1/prompts?limit=5'],
  ['/healthz', '/healthz'],
];

it('re-encodes a bare "/" in a prompt name before a known suffix, and leaves every other path as sent', () => {
  for (const [url, expected] of CASES) expect(encodePromptPath(url), url).toBe(expected);
});
