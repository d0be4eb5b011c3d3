/** CS_BACKEND and the S3_* settings (services/recording/storage-config.ts): defaults, and a clear error per bad setting. */
import { describe, expect, it } from 'bun:test';
import { ConfigError } from '../../lib/config.ts';
import { LocalDiskStorage, S3Storage } from '../../media/cs/index.ts';
import { loadStorageConfig, openStorage } from '../../services/recording/storage-config.ts';

const S3 = { CS_BACKEND: 's3', S3_ENDPOINT: 'http://127.0.0.1:7480', S3_BUCKET: 'rec', S3_ACCESS_KEY: 'AK', S3_SECRET_KEY: 'SK' };
const REC = { csDir: '/tmp/h627-cs-unused', csFsync: false };

describe('storage configuration', () => {
  it('is the local disk by default', () => {
    expect(loadStorageConfig({})).toEqual({ backend: 'local' });
    expect(openStorage(REC, loadStorageConfig({}))).toBeInstanceOf(LocalDiskStorage);
  });

  it('reads the S3 settings, path style and us-east-1 by default', () => {
    expect(loadStorageConfig(S3)).toEqual({
      backend: 's3',
      endpoint: 'http://127.0.0.1:7480',
      bucket: 'rec',
      region: 'us-east-1',
      accessKey: 'AK',
      secretKey: 'SK',
      pathStyle: true,
      directPlayback: true,
    });
    const c = loadStorageConfig({ ...S3, S3_PATH_STYLE: '0', S3_REGION: 'eu-west-3', PUBLIC_S3_ENDPOINT: 'https://s3.example.com' });
    expect(c).toMatchObject({ pathStyle: false, region: 'eu-west-3', publicEndpoint: 'https://s3.example.com' });
    const s = openStorage(REC, c);
    expect(s).toBeInstanceOf(S3Storage);
    expect(s.direct!.putUrl('a/b.ts', 5, 60)).toStartWith('https://rec.s3.example.com/a/b.ts?X-Amz-Algorithm=AWS4-HMAC-SHA256');
    expect(s.direct!.getUrl).toBeFunction();
    expect(openStorage(REC, loadStorageConfig({ ...S3, S3_PLAYBACK: 'platform' })).direct!.getUrl).toBeUndefined();
  });

  it('names what is wrong', () => {
    const bad: [Record<string, string>, string][] = [
      [{ CS_BACKEND: 'nfs' }, 'invalid CS_BACKEND: must be local or s3'],
      [{ ...S3, S3_ENDPOINT: '' }, 'invalid S3_ENDPOINT: S3_ENDPOINT is required when CS_BACKEND=s3'],
      [{ ...S3, S3_ENDPOINT: 'ftp://x' }, 'invalid S3_ENDPOINT: S3_ENDPOINT must be http(s)://host[:port]'],
      [{ ...S3, S3_ENDPOINT: 'http://x/bucket' }, 'without a path'],
      [{ ...S3, S3_BUCKET: 'A_B' }, 'invalid S3_BUCKET: S3_BUCKET must be a bucket name'],
      [{ ...S3, S3_SECRET_KEY: '' }, 'invalid S3_SECRET_KEY: S3_SECRET_KEY is required'],
      [{ ...S3, S3_PATH_STYLE: 'yes' }, 'invalid S3_PATH_STYLE: S3_PATH_STYLE must be 0 or 1'],
      [{ ...S3, PUBLIC_S3_ENDPOINT: 'cams.example' }, 'invalid PUBLIC_S3_ENDPOINT'],
      [{ ...S3, S3_PLAYBACK: 'proxy' }, 'invalid S3_PLAYBACK: S3_PLAYBACK must be direct or platform'],
    ];
    for (const [env, msg] of bad) {
      expect(() => loadStorageConfig(env)).toThrow(ConfigError);
      expect(() => loadStorageConfig(env)).toThrow(msg);
    }
  });
});
