// The hostbus side of `npm run bench`: one runner per scenario group, each a real multi-process
// measurement through the public API (imported by the package's name, i.e. dist/).
import type { Runner } from '../../lib/runner.js';
import { channelsRunners } from './channels.js';
import { connectRunners } from './connect.js';
import { lockRunners } from './lock.js';
import { loopRunners } from './loops.js';
import { pipeRunners } from './pipe.js';
import { queueRunners } from './queue.js';
import { rttRunners } from './rtt.js';
import { slowRunners } from './slow.js';
import { stateRunners } from './state.js';

export const hostbusRunners: Runner[] = [
  ...queueRunners,
  ...pipeRunners,
  ...rttRunners,
  ...connectRunners,
  ...slowRunners,
  ...channelsRunners,
  ...loopRunners,
  ...lockRunners,
  ...stateRunners,
];
