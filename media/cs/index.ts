/** Segment storage (CS): the interface, the local-disk implementation, and the choice between them. */
export * from './storage.ts';
export { LocalDiskStorage, PART_SUFFIX, type LocalDiskOptions } from './local.ts';
export { S3Storage, bucketUrl, type S3StorageOptions } from './s3.ts';
