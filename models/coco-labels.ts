/**
 * The 80 COCO detection classes in the 0-indexed order CenterNet emits them
 * (the 91-id COCO numbering with its gaps removed).
 */
export const COCO_LABELS = Object.freeze([
  'person', 'bicycle', 'car', 'motorcycle', 'airplane', 'bus', 'train', 'truck', 'boat', 'traffic light',
  'fire hydrant', 'stop sign', 'parking meter', 'bench', 'bird', 'cat', 'dog', 'horse', 'sheep', 'cow',
  'elephant', 'bear', 'zebra', 'giraffe', 'backpack', 'umbrella', 'handbag', 'tie', 'suitcase', 'frisbee',
  'skis', 'snowboard', 'sports ball', 'kite', 'baseball bat', 'baseball glove', 'skateboard', 'surfboard', 'tennis racket', 'bottle',
  'wine glass', 'cup', 'fork', 'knife', 'spoon', 'bowl', 'banana', 'apple', 'sandwich', 'orange',
  'broccoli', 'carrot', 'hot dog', 'pizza', 'donut', 'cake', 'chair', 'couch', 'potted plant', 'bed',
  'dining table', 'toilet', 'tv', 'laptop', 'mouse', 'remote', 'keyboard', 'cell phone', 'microwave', 'oven',
  'toaster', 'sink', 'refrigerator', 'book', 'clock', 'vase', 'scissors', 'teddy bear', 'hair drier', 'toothbrush',
] as const);

export type CocoLabel = (typeof COCO_LABELS)[number];

/** Class ids the analytics care about; everything else is still returned but rarely used. */
export const COCO = Object.freeze({ person: 0, backpack: 24, handbag: 26, suitcase: 28 });

export function cocoLabel(classId: number): string {
  return COCO_LABELS[classId] ?? `class-${classId}`;
}
