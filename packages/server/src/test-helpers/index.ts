export * from './client.ts';
export * from './database.ts';
export * from './fuzz.ts';
export * from './server.ts';
export * from './suite.ts';
