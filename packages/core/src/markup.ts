/**
 * Text made safe inside XML or HTML (element text and double-quoted attributes): `&`, `<`, `>` and
 * `"` escaped, and the control characters XML 1.0 forbids dropped. One helper for every report
 * Promptline writes as markup (JUnit XML, HTML reports, the lineage page).
 */
export function escapeMarkup(text: string): string {
  return (
    text
      // biome-ignore lint/suspicious/noControlCharactersInRegex: XML 1.0 forbids these characters
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
  );
}
