import { tf } from '../../models/backend.ts';
import { GRID } from './density-grid.ts';

/**
 * What the density head reads from the CenterNet backbone. One execution of
 * the detector graph yields the detections and these intermediate tensors, so
 * density costs only the small head on top (shared/STYLE.md: one pass, a
 * second model as a plugin).
 *
 *  - `Relu_1`: the feature pyramid at stride 8 (64×64×192 for a 512² input);
 *  - `Relu_2`: the pyramid at stride 4 (128×128×128), average-pooled to stride 8
 *    for the finer texture of small, distant heads;
 *  - the person channel of the centre heatmap (128×128), sum-pooled to stride
 *    8: the detector's own evidence of where people are.
 *
 * Training (edge/density/train) caches exactly this tensor, so the head sees
 * at run time what it was trained on.
 */
export const DENSITY_FEATURE_NODES = Object.freeze({
  stride8: 'tower_0/CenternetHead/Relu_1',
  stride4: 'tower_0/CenternetHead/Relu_2',
  centres: 'tower_0/keypoints',
});

export const DENSITY_FEATURE_CHANNELS = 192 + 128 + 1;

/** Builds the head's input [1, 64, 64, 321] from the three graph outputs; disposes nothing it was given. */
export function densityFeatureTensor(stride8: tf.Tensor, stride4: tf.Tensor, centres: tf.Tensor): tf.Tensor4D {
  return tf.tidy(() => {
    const s8 = stride8 as tf.Tensor4D;
    if (s8.shape[1] !== GRID || s8.shape[2] !== GRID) throw new Error(`density features: expected a ${GRID}×${GRID} stride-8 map, got ${s8.shape.join('×')}`);
    const s4 = tf.avgPool(stride4 as tf.Tensor4D, 2, 2, 'valid');
    const person = tf.slice(centres as tf.Tensor4D, [0, 0, 0, 0], [1, -1, -1, 1]);
    // Sum, not mean: the heatmap's mass per cell is what tracks the number of centres in it.
    const personMass = tf.mul(tf.avgPool(person, 2, 2, 'valid'), 4);
    return tf.concat([s8, s4, personMass], 3) as tf.Tensor4D;
  });
}
