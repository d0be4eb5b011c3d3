/** The 80 COCO classes in the order CenterNet (and most COCO detectors) number them, 0-based. */
export const COCO_CLASSES = [
  'person',
  'bicycle',
  'car',
  'motorcycle',
  'airplane',
  'bus',
  'train',
  'truck',
  'boat',
  'traffic light',
  'fire hydrant',
  'stop sign',
  'parking meter',
  'bench',
  'bird',
  'cat',
  'dog',
  'horse',
  'sheep',
  'cow',
  'elephant',
  'bear',
  'zebra',
  'giraffe',
  'backpack',
  'umbrella',
  'handbag',
  'tie',
  'suitcase',
  'frisbee',
  'skis',
  'snowboard',
  'sports ball',
  'kite',
  'baseball bat',
  'baseball glove',
  'skateboard',
  'surfboard',
  'tennis racket',
  'bottle',
  'wine glass',
  'cup',
  'fork',
  'knife',
  'spoon',
  'bowl',
  'banana',
  'apple',
  'sandwich',
  'orange',
  'broccoli',
  'carrot',
  'hot dog',
  'pizza',
  'donut',
  'cake',
  'chair',
  'couch',
  'potted plant',
  'bed',
  'dining table',
  'toilet',
  'tv',
  'laptop',
  'mouse',
  'remote',
  'keyboard',
  'cell phone',
  'microwave',
  'oven',
  'toaster',
  'sink',
  'refrigerator',
  'book',
  'clock',
  'vase',
  'scissors',
  'teddy bear',
  'hair drier',
  'toothbrush',
] as const;

/** One COCO class name. */
export type CocoClass = (typeof COCO_CLASSES)[number];

/** The groups an owner picks from (issue 25: person, vehicle, animal), each a set of COCO classes. */
export const CLASS_GROUPS = {
  person: ['person'],
  vehicle: ['bicycle', 'car', 'motorcycle', 'bus', 'train', 'truck', 'boat', 'airplane'],
  animal: ['bird', 'cat', 'dog', 'horse', 'sheep', 'cow', 'elephant', 'bear', 'zebra', 'giraffe'],
} as const satisfies Record<string, readonly CocoClass[]>;

/** A group name or a COCO class name. */
export type ClassOrGroup = keyof typeof CLASS_GROUPS | CocoClass;

/** Every COCO class a list of groups and classes stands for (a group expands to its classes). */
export function expandClasses(names: readonly ClassOrGroup[]): Set<CocoClass> {
  const out = new Set<CocoClass>();
  for (const n of names) {
    if (n in CLASS_GROUPS) for (const c of CLASS_GROUPS[n as keyof typeof CLASS_GROUPS]) out.add(c);
    else out.add(n as CocoClass);
  }
  return out;
}
