export * from './client.ts';
export * from './database.ts';
export * from './server.ts';
export * from './suite.ts';
