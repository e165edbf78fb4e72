import { describeScenarios } from './scenario-suite.js';

describeScenarios('probe-', 'reachability probe drill scenarios', 4);
