import { assert, describe, expect, it } from 'vitest';
import { runLab } from '../../lab/lab.js';
import { labUnavailable } from '../../lab/network.js';

// The VPN lab tier: real strongSwan and FRR in network namespaces, the real agent, the product on the
// simulated account. It needs root, network namespaces, /dev/net/tun and the Debian packages that
// .ci/run installs; elsewhere it says in one line why it is skipped.

const unavailable = labUnavailable();
if (unavailable) console.log(`VPN lab skipped: ${unavailable}`);

describe.skipIf(unavailable !== null)('the VPN lab (real strongSwan and FRR, the real agent)', () => {
  // Generous: it may first wait for another lab on this machine (another clone's suite) to end.
  it('plays every fault with its expectation on the routes in the simulated account', {
    timeout: 900_000,
  }, async () => {
    // Act
    const result = await runLab({ log: (text) => console.log(text) });

    // Assess
    const failed = result.faults.filter((f) => !f.ok).map((f) => f.rendered);
    // Its message once (an equality's diff would print it twice): the agents' logs, then the daemons'.
    if (result.error !== undefined) assert.fail(result.error);
    expect(failed, failed.join('\n\n')).toEqual([]);
    expect(result.faults.map((f) => f.name)).toEqual([
      'ike-terminated',
      'esp-blackhole',
      'vgw-charon-killed',
      'gateway-charon-restarted',
      'tunnel-flap',
      'planned-replacement',
    ]);
    console.log(`VPN lab: ${result.faults.length} faults in ${result.seconds.toFixed(1)} s`);
  });
});
