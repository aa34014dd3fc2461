// Every system `npm run bench` measures: hostbus's runners, then the peers'.
import type { Runner } from '../lib/runner.js';
import { hostbusRunners } from './hostbus/index.js';
import { peerRunners } from './peers/index.js';

export const runners: Runner[] = [...hostbusRunners, ...peerRunners];
