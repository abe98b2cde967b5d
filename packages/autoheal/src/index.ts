export { AUTOHEAL_EVENT_TYPES } from './events.js';
