import { describeScenarios } from './scenario-suite.js';

describeScenarios('resolver-', 'resolver-rule reconciler drill scenarios', 7);
