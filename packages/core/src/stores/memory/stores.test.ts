import { describeStoresContract } from '@aetherlink/core/testing';
import { memoryStores } from './index.js';

describeStoresContract('memory', () => ({ store: memoryStores() }));
