import { describeHttpAdapterContract } from '@aetherlink/core/testing';
import { startExpress } from './test-support.js';

describeHttpAdapterContract('express', startExpress);
