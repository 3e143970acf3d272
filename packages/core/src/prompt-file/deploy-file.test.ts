import { describe, expect, it } from 'vitest';
import { AppError } from '../errors.ts';
import { parseDeployFile } from './deploy-file.ts';

function refusal(text: string): string {
  try {
    parseDeployFile(text);
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('DEPLOY_FILE_INVALID');
    return (error as AppError).message;
  }
  throw new Error('parsed');
}

describe('promptline.deploy.yaml', () => {
  it('reads versions, latest, weighted variants and the kill switch, in file order', () => {
    const releases = parseDeployFile(`
environments:
  production:
    support/triage: 3
    support/reply: latest
    billing/refund:
      variants: [{ version: 4, weight: 500 }, { version: 3, weight: 9500 }]
  staging:
    support/triage: { version: latest, enabled: false }
  development:
`);
    expect(releases).toEqual([
      {
        environment: 'production',
        prompt: 'support/triage',
        variants: [{ version: 3, weight: 10000 }],
        enabled: true,
      },
      {
        environment: 'production',
        prompt: 'support/reply',
        variants: [{ version: 'latest', weight: 10000 }],
        enabled: true,
      },
      {
        environment: 'production',
        prompt: 'billing/refund',
        variants: [
          { version: 4, weight: 500 },
          { version: 3, weight: 9500 },
        ],
        enabled: true,
      },
      {
        environment: 'staging',
        prompt: 'support/triage',
        variants: [{ version: 'latest', weight: 10000 }],
        enabled: false,
      },
    ]);
    expect(parseDeployFile('')).toEqual([]);
  });

  it('refuses what a deploy would refuse, naming the environment and prompt', () => {
    expect(
      refusal('environments:\n  production:\n    a: { variants: [{ version: 1, weight: 500 }] }\n'),
    ).toMatch(/production → a: weights sum to 500/);
    expect(
      refusal(
        'environments:\n  production:\n    a: { variants: [{ version: latest, weight: 5000 }, { version: latest, weight: 5000 }] }\n',
      ),
    ).toMatch(/latest is listed twice/);
    expect(refusal('environments:\n  production:\n    a: newest\n')).toMatch(
      /production → a: expected a version number/,
    );
    expect(refusal('environments:\n  Production:\n    a: 1\n')).toMatch(/Production/);
    expect(refusal('envs:\n  production:\n    a: 1\n')).toMatch(/unknown key envs/);
    expect(refusal('environments: [\n')).toMatch(/not valid YAML/);
  });
});
