import { describe, expect, it } from 'vitest';
import { installedReqids, labUnavailable } from '../../lab/network.js';
import { reestablishTogether } from '../../lab/reestablish.js';

// Both tunnels re-established at once, many times, with real strongSwan and FRR. With dynamic reqids,
// strongSwan 5.9.8 (Debian 12) sometimes gave the two new CHILD_SAs the same reqid
// (strongswan/strongswan#1855): kernel-libipsec then sent one tunnel's traffic into the other's SA and
// that tunnel's BGP session stayed down, which failed the lab in CI. Before the fix, 60 cycles showed it
// in 4 runs of 4, first at cycle 21 at the latest (lab/reestablish.ts). The lab's gateways now have a
// fixed reqid per child (lab/network.ts swanctlConf).

const CYCLES = 50;
const unavailable = labUnavailable();
if (unavailable) console.log(`VPN lab (re-establishment) skipped: ${unavailable}`);

describe('reading reqids from swanctl --list-sas', () => {
  it('maps each INSTALLED CHILD_SA to its reqid and skips one being rekeyed', () => {
    // Arrange
    const listing = [
      'Tunnel2: #36, ESTABLISHED, IKEv2, d49381acb0c4a9d5_i* 74783692bdf590e7_r',
      '  Tunnel2: #35, reqid 1, INSTALLED, TUNNEL-in-UDP, ESP:AES_CBC-128/HMAC_SHA2_256_128',
      'Tunnel1: #35, ESTABLISHED, IKEv2, f599be9875fa60ee_i* ab47214eed3fefaa_r',
      '  Tunnel1: #36, reqid 1, INSTALLED, TUNNEL-in-UDP, ESP:AES_CBC-128/HMAC_SHA2_256_128',
      '  Tunnel1: #34, reqid 3, REKEYED, TUNNEL-in-UDP, ESP:AES_CBC-128/HMAC_SHA2_256_128',
    ].join('\n');

    // Act
    const reqids = installedReqids(listing);

    // Assess
    expect(reqids).toEqual({ Tunnel2: '1', Tunnel1: '1' });
  });
});

describe.skipIf(unavailable !== null)('both tunnels re-established at once (real strongSwan and FRR)', () => {
  it('gives their CHILD_SAs distinct reqids every time, and both BGP sessions come back', {
    timeout: 900_000,
  }, async () => {
    // Act
    const result = await reestablishTogether(CYCLES, (text) => console.log(text));

    // Assess
    expect(result.cycles).toHaveLength(CYCLES);
    expect(result.shared, 'cycles after which two CHILD_SAs shared a reqid').toBe(0);
    expect(result.finalState).toBe('');
    const slowest = Math.max(...result.cycles.map((c) => c.seconds));
    console.log(
      `VPN lab: both tunnels re-established ${CYCLES} times in ${result.seconds.toFixed(1)} s (slowest ${slowest.toFixed(1)} s)`,
    );
  });
});
