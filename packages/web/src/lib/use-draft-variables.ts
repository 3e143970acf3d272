import { useMemo, useRef } from 'react';
import { type DraftContent, draftVariables } from './draft.ts';

/** The draft's variables; while a tag is half typed (the template does not parse), the last known list. */
export function useDraftVariables(draft: DraftContent): string[] {
  const last = useRef<string[]>([]);
  return useMemo(() => {
    const found = draftVariables(draft);
    if (found) last.current = found;
    return last.current;
  }, [draft]);
}
