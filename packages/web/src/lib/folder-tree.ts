/** A folder of the registry tree: path-like prompt names split on `/`. */
export interface FolderNode {
  /** Segment name (`support`), empty for the root. */
  name: string;
  /** Full folder path with a trailing slash (`support/billing/`), empty for the root. */
  path: string;
  /** Number of prompts in this folder and below. */
  count: number;
  children: FolderNode[];
}

/**
 * Builds the folder tree of a list of prompt names; folders sorted by name. A name's last segment
 * is the prompt itself, so `support/triage` counts in folder `support/` only.
 */
export function buildFolderTree(names: readonly string[]): FolderNode {
  const root: FolderNode = { name: '', path: '', count: 0, children: [] };
  const index = new Map<string, FolderNode>([['', root]]);
  for (const name of names) {
    root.count++;
    const segments = name.split('/');
    let parent = root;
    for (let i = 0; i < segments.length - 1; i++) {
      const path = `${segments.slice(0, i + 1).join('/')}/`;
      let node = index.get(path);
      if (!node) {
        node = { name: segments[i] ?? '', path, count: 0, children: [] };
        index.set(path, node);
        parent.children.push(node);
      }
      node.count++;
      parent = node;
    }
  }
  const sort = (node: FolderNode): void => {
    // Code-point order: localeCompare costs ~5x more and names are lowercase ASCII anyway.
    node.children.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const c of node.children) sort(c);
  };
  sort(root);
  return root;
}

/** The folders from the root to `path` (for breadcrumbs and auto-expanding the tree). */
export function ancestorsOf(path: string): string[] {
  const segments = path.split('/').filter(Boolean);
  return segments.map((_, i) => `${segments.slice(0, i + 1).join('/')}/`);
}
