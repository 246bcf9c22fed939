// Entry point of the agent's workspace (served at /workspace/).
import { Workspace } from './workspace.js';

new Workspace().boot();
