// Node-only parts of @cv/core (fs, sharp, cli-progress): exported from the Node entry only, so browser
// bundles never pull them in.

export * from './atomic-write.js';
export * from './image-file.js';
export * from './train-checkpoint.js';
export * from './train-history.js';
export * from './train-plot.js';
export * from './train-progress.js';
export * from './weights-file.js';
