import { describeHttpAdapterContract } from '@aetherlink/core/testing';
import { startFastify } from './test-support.js';

describeHttpAdapterContract('fastify', startFastify);
