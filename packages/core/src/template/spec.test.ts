import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderTemplate } from './index.ts';

// /work/main and /work/shared are siblings (CI clones the repo with shared/ beside it).
const specDir = new URL('../../../../../shared/mustache-spec/', import.meta.url);

interface SpecCase {
  name: string;
  desc: string;
  data: unknown;
  template: string;
  partials?: Record<string, string>;
  expected: string;
}

// Promptline never HTML-escapes (see the spec folder's README), so expected text is unescaped.
function unescapeHtml(text: string): string {
  return text
    .replaceAll('&quot;', '"')
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&');
}

for (const file of ['interpolation', 'sections', 'inverted', 'comments', 'partials']) {
  const spec = JSON.parse(readFileSync(new URL(`${file}.json`, specDir), 'utf8')) as { tests: SpecCase[] };

  describe(`mustache spec: ${file}`, () => {
    it('has cases', () => {
      expect(spec.tests.length).toBeGreaterThan(5);
    });

    for (const c of spec.tests) {
      it(`${c.name} — ${c.desc}`, () => {
        const partials = c.partials ?? {};
        // A few "Implicit Iterators" cases use a bare string or number as the whole context; the
        // engine's stack takes any value, only the public type asks for an object.
        const data = c.data as Record<string, unknown>;
        const output = renderTemplate(c.template, data, {
          strict: false,
          partials: (name) => (Object.hasOwn(partials, name) ? partials[name] : undefined),
        });
        expect(output).toBe(unescapeHtml(c.expected));
      });
    }
  });
}
