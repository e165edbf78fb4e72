import { describeScenarios } from './scenario-suite.js';

// Scenarios (a) to (k) of the route reconciler issue, plus the blast radius and a bad input.
describeScenarios('routes-', 'route reconciler drill scenarios', 19);
