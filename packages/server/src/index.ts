/**
 * @promptline/server — the Promptline platform process as a library: build the app on a database
 * of your choice, or run `main.ts`.
 */
export { type BuildAppOptions, buildApp } from './app.ts';
export type { Principal } from './auth/service.ts';
export { bootstrap } from './bootstrap.ts';
export { type Clock, systemClock } from './clock.ts';
export { loadConfig, ServerConfig } from './config.ts';
export { createDatabase, type Database, type DatabaseOptions, type Dialect } from './db/database.ts';
export { migrate } from './db/migrations.ts';
export { encodePromptPath } from './http/prompt-path.ts';
export { type ChangeFeed, createLocalChangeFeed, type DeploymentChange } from './live/change-feed.ts';
export { createPostgresChangeFeed } from './live/postgres-change-feed.ts';
