import { ConfigError, loadConfig } from '@acs/config';
import { describe, expect, it } from '@jest/globals';
import { allInOneOptions, appConfig } from './config.js';

describe('all-in-one configuration', () => {
  it('defaults to loopback on 7547/7557 with ./data and no onboarding', () => {
    const options = allInOneOptions(loadConfig(appConfig, {}));
    expect(options).toMatchObject({ dataDir: './data', cwmp: { host: '127.0.0.1', port: 7547 }, nbi: { host: '127.0.0.1', port: 7557 } });
    expect(options.onboarding).toBeUndefined();
    expect(options.secretKey).toBeUndefined();
  });

  it('accepts port 0 and the onboarding pair', () => {
    const options = allInOneOptions(
      loadConfig(appConfig, { CWMP_PORT: '0', NBI_PORT: '0', ACS_ONBOARDING_USERNAME: 'lab', ACS_ONBOARDING_PASSWORD: 'secret', ACS_DATA_DIR: '/tmp/x' }),
    );
    expect(options).toMatchObject({ dataDir: '/tmp/x', cwmp: { port: 0 }, nbi: { port: 0 }, onboarding: { username: 'lab', password: 'secret' } });
  });

  it('names the variable when only half of the onboarding pair is set', () => {
    expect(() => loadConfig(appConfig, { ACS_ONBOARDING_USERNAME: 'lab' })).toThrow(ConfigError);
    expect(() => loadConfig(appConfig, { ACS_ONBOARDING_USERNAME: 'lab' })).toThrow(/ACS_ONBOARDING_PASSWORD/);
  });

  it('refuses a port out of range', () => {
    expect(() => loadConfig(appConfig, { NBI_PORT: '70000' })).toThrow(/NBI_PORT/);
  });
});
