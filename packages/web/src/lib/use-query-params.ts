import { useCallback, useMemo } from 'react';
import { useLocation, useSearch } from 'wouter';

/** The query string as a record, and a setter that merges a patch (empty values removed). */
export function useQueryParams(): [
  Record<string, string>,
  (patch: Record<string, string | number | null>, replace?: boolean) => void,
] {
  const search = useSearch();
  const [location, navigate] = useLocation();
  const params = useMemo(() => Object.fromEntries(new URLSearchParams(search)), [search]);
  const set = useCallback(
    (patch: Record<string, string | number | null>, replace = false) => {
      const next = new URLSearchParams(search);
      for (const [k, v] of Object.entries(patch)) {
        if (v === null || v === '') next.delete(k);
        else next.set(k, String(v));
      }
      const s = next.toString();
      navigate(`${location}${s ? `?${s}` : ''}`, { replace });
    },
    [search, location, navigate],
  );
  return [params, set];
}
