export { ConfigurationError, InvalidInputError } from '../errors.js';
