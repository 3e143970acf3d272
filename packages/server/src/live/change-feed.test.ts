import { describe, expect, it } from 'vitest';
import { createLocalChangeFeed } from './change-feed.ts';

describe('createLocalChangeFeed', () => {
  it('reports a throwing listener and still delivers the change to the others', () => {
    const reported: unknown[] = [];
    const heard: string[] = [];
    const feed = createLocalChangeFeed({ onListenerError: (error) => reported.push(error) });
    feed.subscribe(() => {
      throw new Error('listener broke');
    });
    feed.subscribe((change) => heard.push(change.prompt));
    feed.publish({ projectId: '1', environment: 'production', prompt: 'greet' });
    expect(heard).toEqual(['greet']);
    expect(reported).toHaveLength(1);
    expect((reported[0] as Error).message).toBe('listener broke');
  });
});
