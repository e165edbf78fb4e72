export { ConfigurationError } from '../errors.js';
