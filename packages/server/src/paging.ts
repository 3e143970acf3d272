/**
 * Keyset paging shared by every list that pages by row id: the cursor is the last id of a full
 * page, so a client resumes where it stopped even while rows are added.
 */

/** The cursor of the page after `rows`: the last row's id when the page is full, null at the end. */
export function nextCursor(rows: readonly { id: number }[], limit: number): string | null {
  const last = rows.at(-1);
  return rows.length === limit && last ? String(last.id) : null;
}

/** The id a cursor stands for; undefined (no cursor) means the first page. */
export function cursorId(cursor: string | undefined): number | undefined {
  return cursor === undefined ? undefined : Number(cursor);
}
