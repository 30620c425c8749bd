export { ScriptedProvider } from './scripted-provider.js';
export type { ScriptedBehaviour } from './scripted-provider.js';
