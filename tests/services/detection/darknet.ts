/** Debian darknet's sample photos (scripts/setup.sh installs the `darknet` package). */
export const DARKNET_DATA_DIR = '/usr/share/darknet/data';
/** A woman with a dog and a horse, 640×424. */
export const DARKNET_PERSON = 'person.jpg';
/** A dog, a bicycle and a car, 768×576. */
export const DARKNET_DOG = 'dog.jpg';

/** The bytes of one photo; fails with the fix when the package is missing. */
export async function darknetPhoto(name: string): Promise<Uint8Array> {
  const f = Bun.file(`${DARKNET_DATA_DIR}/${name}`);
  if (!(await f.exists())) throw new Error(`${DARKNET_DATA_DIR}/${name} missing: apt-get install darknet (scripts/setup.sh)`);
  return new Uint8Array(await f.arrayBuffer());
}
