export * from './diff3.ts';
export * from './graph.ts';
export * from './markers.ts';
export * from './schemas.ts';
export * from './text.ts';
export * from './version.ts';
