/**
 * The folder side of prompts as code: finding `<dir>/<name>.prompt` files (the name's `/` are
 * folders), reading them with core's parser, reading `promptline.deploy.yaml`, and writing files
 * atomically (a temporary file renamed over the old one, so an interrupted pull leaves no half file).
 */
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { isAppError } from '@promptline/core/errors';
import {
  type DesiredRelease,
  type PromptFile,
  parseDeployFile,
  parsePromptFile,
} from '@promptline/core/prompt-file';
import { PROMPT_NAME_PATTERN } from '@promptline/core/schemas';
import { UsageError } from '../errors.ts';

/** The deploy file's name, at the root of the folder. */
export const DEPLOY_FILE = 'promptline.deploy.yaml';

/** A `.prompt` file read from the folder. */
export interface LocalPrompt {
  name: string;
  /** Path relative to the folder, with `/`, as shown to the user. */
  path: string;
  file: PromptFile;
  /** The file's text as read, to tell whether pull would change it. */
  text: string;
}

/** `<dir>/<name>.prompt` for a prompt name. */
export function pathOf(dir: string, name: string): string {
  return join(dir, ...`${name}.prompt`.split('/'));
}

/** Whether `name` is under `prefix` (every name when no prefix). */
export function underPrefix(name: string, prefix: string | undefined): boolean {
  return prefix === undefined || name.startsWith(prefix);
}

async function requireDirectory(dir: string): Promise<void> {
  // Any failure to stat (missing, no permission) is answered by the usage error below.
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new UsageError(
      `${dir} is not a directory; give the folder of your .prompt files (promptline pull ${dir} creates it)`,
    );
  }
}

async function listPromptFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (folder: string) => {
    for (const entry of await readdir(folder, { withFileTypes: true })) {
      // Dot folders (.git) and dependencies are never prompts.
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      const path = join(folder, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile() && entry.name.endsWith('.prompt')) found.push(path);
    }
  };
  await walk(dir);
  return found.sort();
}

/**
 * Reads every `.prompt` file under `dir` whose name is under `prefix`.
 *
 * @throws UsageError when the folder is missing, a path is not a prompt name, or a file does not
 * parse (every bad file is listed, so one run shows them all).
 */
export async function readFolder(dir: string, prefix: string | undefined): Promise<LocalPrompt[]> {
  await requireDirectory(dir);
  const prompts: LocalPrompt[] = [];
  const problems: string[] = [];
  for (const absolute of await listPromptFiles(dir)) {
    const path = relative(dir, absolute).split(sep).join('/');
    const name = path.slice(0, -'.prompt'.length);
    if (!underPrefix(name, prefix)) continue;
    if (!PROMPT_NAME_PATTERN.test(name)) {
      problems.push(
        `${path}: "${name}" is not a prompt name (lowercase letters, digits, "-", "_" and ".", folders for "/")`,
      );
      continue;
    }
    const text = await readFile(absolute, 'utf8');
    try {
      prompts.push({ name, path, file: parsePromptFile(text), text });
    } catch (error) {
      if (!isAppError(error)) throw error;
      problems.push(`${path}: ${error.message}`);
    }
  }
  if (problems.length > 0) throw new UsageError(`cannot read the folder:\n  ${problems.join('\n  ')}`);
  return prompts;
}

/** The deploy file's releases, or undefined when the folder has none. */
export async function readDeployFile(dir: string): Promise<DesiredRelease[] | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, DEPLOY_FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    return parseDeployFile(text);
  } catch (error) {
    if (isAppError(error)) throw new UsageError(`${DEPLOY_FILE}: ${error.message}`);
    throw error;
  }
}

/** Writes `text` to `path` through a temporary file and a rename, creating folders as needed. */
export async function writeAtomically(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(temporary, text, 'utf8');
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
