export * from './deploy-file.ts';
export * from './format.ts';
