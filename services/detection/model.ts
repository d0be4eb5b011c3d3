/**
 * The bare detection model: CenterNet-MobileNetV3 (COCO, 512×512) from `@vladmandic/human`, run by
 * TensorFlow.js on its WebAssembly backend, loaded from node_modules (nothing fetched at run time).
 * Runs wherever it is imported: the runtime imports it only inside the detector worker.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as wasm from '@tensorflow/tfjs-backend-wasm';
import * as tfc from '@tensorflow/tfjs-converter';
import * as tf from '@tensorflow/tfjs-core';
import { COCO_CLASSES, type CocoClass } from '../../protocol/coco-classes.ts';

/** The model's square input side, pixels (CenterNet-MobileNetV3 as shipped). */
export const MODEL_INPUT_PX = 512;
/** RGB bytes of one model input frame. */
export const MODEL_FRAME_BYTES = MODEL_INPUT_PX * MODEL_INPUT_PX * 3;
/** Overlap above which two boxes of one class are one object (non-maximum suppression). */
export const NMS_IOU = 0.4;
/** Most objects reported in one frame. */
export const MAX_DETECTIONS = 50;
/** The model's output holding boxes, scores and classes ([1, N, 6]). */
const OUTPUT = 'tower_0/detections';

/** One detected object; box in input pixels, [x, y, width, height]. */
export interface Detection {
  class: CocoClass;
  score: number;
  box: [number, number, number, number];
}

const require = createRequire(import.meta.url);
/** Where a package's files are on disk (its package.json's folder). */
const packageDir = (name: string) => dirname(require.resolve(`${name}/package.json`));

/** The model files shipped in `@vladmandic/human`. */
export function defaultModelPath(): string {
  return join(packageDir('@vladmandic/human'), 'models', 'centernet.json');
}

interface ModelJson {
  modelTopology: object;
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  format?: string;
  generatedBy?: string;
  convertedBy?: string;
  signature?: object;
}

/** A graph model read from a model.json and its .bin shards on disk. */
async function loadFromFiles(path: string): Promise<tfc.GraphModel> {
  const json = (await Bun.file(path).json()) as ModelJson;
  const shards: ArrayBuffer[] = [];
  const specs: tf.io.WeightsManifestEntry[] = [];
  for (const group of json.weightsManifest) {
    for (const p of group.paths) shards.push(await Bun.file(join(dirname(path), p)).arrayBuffer());
    specs.push(...group.weights);
  }
  const weightData = tf.io.concatenateArrayBuffers(shards);
  return tfc.loadGraphModel(
    tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: specs, weightData, format: json.format, signature: json.signature }),
  );
}

/** The loaded model: `detect` takes one 512×512 RGB frame (row-major, 3 bytes a pixel). */
export interface Model {
  detect(rgb: Uint8Array, minScore: number): Promise<Detection[]>;
  dispose(): void;
}

/** Starts TensorFlow.js on WebAssembly (one thread; the .wasm files from the package) and loads the model. */
export async function loadModel(path = defaultModelPath()): Promise<Model> {
  wasm.setWasmPaths(`${join(packageDir('@tensorflow/tfjs-backend-wasm'), 'dist')}/`);
  await tf.setBackend('wasm');
  await tf.ready();
  const model = await loadFromFiles(path);
  return {
    async detect(rgb, minScore) {
      if (rgb.byteLength !== MODEL_FRAME_BYTES) throw new Error(`a frame is ${MODEL_FRAME_BYTES} bytes, got ${rgb.byteLength}`);
      const input = tf.tidy(() => tf.expandDims(tf.cast(tf.tensor3d(rgb, [MODEL_INPUT_PX, MODEL_INPUT_PX, 3], 'int32'), 'float32'), 0));
      const out = model.execute(input, OUTPUT) as tf.Tensor;
      input.dispose();
      const rows = ((await out.array()) as number[][][])[0] ?? [];
      // the rows are [x1, y1, x2, y2, score, class]; NMS wants [y1, x1, y2, x2]
      const boxes = tf.tensor2d(
        rows.map((r) => [r[1] ?? 0, r[0] ?? 0, r[3] ?? 0, r[2] ?? 0]),
        [rows.length, 4],
      );
      const scores = tf.tensor1d(rows.map((r) => r[4] ?? 0));
      const keep = await tf.image.nonMaxSuppressionAsync(boxes, scores, MAX_DETECTIONS, NMS_IOU, minScore);
      const idx = Array.from(await keep.data());
      tf.dispose([out, boxes, scores, keep]);
      const found: Detection[] = [];
      for (const i of idx) {
        const [x1 = 0, y1 = 0, x2 = 0, y2 = 0, score = 0, cls = Number.NaN] = rows[i] ?? [];
        const name = COCO_CLASSES[cls];
        if (name === undefined) continue;
        found.push({ class: name, score, box: [x1, y1, x2 - x1, y2 - y1] });
      }
      return found;
    },
    dispose: () => model.dispose(),
  };
}
